/// The arithmetic that tells a real personal number from a look-alike: the resident
/// registration number's date and check digit, the card number's Luhn sum, the shape
/// of Korean telephone numbers. Digits are values 0…9. Stateless.
enum CheckDigits {
    /// 주민등록번호 (YYMMDD-GNNNNNC): a plausible birth date, a sex/century digit 1…8
    /// (5…8 for registered foreigners) and the check digit
    /// C = (11 − Σ dᵢ·wᵢ mod 11) mod 10 with weights 2 3 4 5 6 7 8 9 2 3 4 5.
    /// Numbers issued since October 2020 end in a random digit instead; they are not
    /// recognised, which is the price of not masking every 13-digit date-like string.
    static func isResidentNumber(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 13 else { return false }
        let s = d.startIndex
        let month = d[s + 2] * 10 + d[s + 3]
        let day = d[s + 4] * 10 + d[s + 5]
        guard (1...12).contains(month), (1...31).contains(day), (1...8).contains(d[s + 6]) else { return false }
        let weights: [Int] = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
        var sum = 0
        for i in 0..<12 { sum += Int(d[s + i]) * weights[i] }
        return (11 - sum % 11) % 10 == Int(d[s + 12])
    }

    /// ISO/IEC 7812 card numbers: 13…19 digits whose Luhn sum is a multiple of 10.
    static func isCardNumber(_ d: ArraySlice<UInt8>) -> Bool {
        guard (13...19).contains(d.count), d.first != 0 else { return false }
        var sum = 0
        var double = false
        for digit in d.reversed() {
            var v = Int(digit)
            if double {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            double.toggle()
        }
        return sum % 10 == 0
    }

    /// Korean numbers: mobile 01[016789] + 7…8 digits, Seoul 02 + 7…8, other areas and
    /// 070 0[3-7][0-5] + 7…8. `chunks` are the lengths of the separated parts (one part:
    /// written without separators); with parts, the last one has four digits.
    static func isPhoneNumber(_ d: ArraySlice<UInt8>, chunks: ArraySlice<Int>) -> Bool {
        let s = d.startIndex
        guard d.count >= 9, d.count <= 11, d[s] == 0 else { return false }
        let prefix: Int
        if d[s + 1] == 1 {
            guard [0, 1, 6, 7, 8, 9].contains(d[s + 2]), d.count >= 10 else { return false }
            prefix = 3
        } else if d[s + 1] == 2 {
            guard d.count <= 10 else { return false }
            prefix = 2
        } else if (3...7).contains(d[s + 1]), d[s + 2] <= 5 {
            guard d.count >= 10 else { return false }
            prefix = 3
        } else {
            return false
        }
        guard chunks.count > 1 else { return true }
        guard chunks.first == prefix else { return false }
        if chunks.count == 3 { return chunks.last == 4 }
        return chunks.count == 2
    }
}
