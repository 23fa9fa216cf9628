"""Reference values for ErlangATests.swift, at 40 significant digits (mpmath).

Published Erlang A tables (Mandelbaum & Zeltyn's, the 4CallCenters examples) could
not be reached offline when the tests were written, so the expected values are
computed here two independent ways, and the script fails unless they agree:

1. the closed forms of Mandelbaum & Zeltyn ("The Palm/Erlang-A queue, with
   applications to call centers", 2007), through the lower incomplete gamma function
   A(x, y) = x e^y y^(-x) gamma(x, y):
       P(W > 0)      = A(cmu/theta, lambda/theta) E / (1 + (A(...) - 1) E),  E = Erlang B(c, lambda/mu)
       P(Ab | W > 0) = 1 / (rho A(...)) + 1 - 1/rho,                      rho = lambda / (c mu)
       E[W]          = P(Ab) / theta
2. the birth-death chain summed term by term (truncated where the terms are below
   1e-60), and the service level from the law of a caller's wait with k ahead:
   served with probability c mu / (c mu + (k+1) theta), then within t with
   probability P(Beta(c mu/theta + 1, k + 1) >= e^(-theta t)) (mpmath's betainc).

Run: python3 Tests/ChatCoreTests/erlang_a_reference.py   (needs mpmath)
"""
from mpmath import mp, mpf, exp, gammainc, betainc, log

mp.dps = 40

# (agents, calls per hour, mean handle s, mean patience s, service-level threshold s)
CASES = [
    (8, 70, 360, 600, 20),      # chat-vs-phone's phone line: 7 Erlangs on 8 agents
    (8, 105, 360, 600, 20),     # overloaded: 10.5 Erlangs on 8 agents
    (2, 14.4, 300, 120, 20),    # a small line, impatient callers
    (50, 540, 300, 180, 20),    # a big line near critical load (45 Erlangs on 50)
    (1, 10, 360, 360, 30),      # theta = mu: the number in system is Poisson(A)
]


def erlang_b(c, a):
    b = mpf(1)
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def closed_form(c, lam, mu, theta):
    e = erlang_b(c, lam / mu)
    x, y = c * mu / theta, lam / theta
    a = x * exp(y) * y ** (-x) * gammainc(x, 0, y)
    p_wait = a * e / (1 + (a - 1) * e)
    rho = lam / (c * mu)
    p_ab = (1 / (rho * a) + 1 - 1 / rho) * p_wait
    return p_wait, p_ab, p_ab / theta


def birth_death(c, lam, mu, theta, t):
    weights = [mpf(1)]  # pi(n) / pi(0)
    n = 0
    while True:
        n += 1
        death = n * mu if n <= c else c * mu + (n - c) * theta
        weights.append(weights[-1] * lam / death)
        if n > c and death > lam and weights[-1] < mpf(10) ** -60 * sum(weights):
            break
    total = sum(weights)
    pi = [w / total for w in weights]
    p_wait = sum(pi[c:])
    lq = sum((n - c) * p for n, p in enumerate(pi) if n > c)
    p_ab = theta * lq / lam
    x = exp(-theta * t)
    m = c * mu / theta
    sl = 1 - p_wait
    for k, p in enumerate(pi[c:]):
        served = c * mu / (c * mu + (k + 1) * theta)
        sl += p * served * betainc(m + 1, k + 1, x, 1, regularized=True)
    return p_wait, p_ab, lq / lam, sl


for c, per_hour, handle, patience, t in CASES:
    lam, mu, theta = mpf(per_hour) / 3600, 1 / mpf(handle), 1 / mpf(patience)
    cw, cab, cmean = closed_form(c, lam, mu, theta)
    bw, bab, bmean, sl = birth_death(c, lam, mu, theta, t)
    for name, u, v in (("P(wait)", cw, bw), ("P(abandon)", cab, bab), ("mean wait", cmean, bmean)):
        assert abs(u - v) <= mpf(10) ** -30 * max(1, abs(u)), (c, per_hour, name, u, v)
    print(f"c={c} lambda={per_hour}/h h={handle} s patience={patience} s t={t} s:")
    print(f"  P(wait)    {mp.nstr(cw, 17)}")
    print(f"  P(abandon) {mp.nstr(cab, 17)}")
    print(f"  mean wait  {mp.nstr(cmean, 17)} s")
    print(f"  SL({t} s)  {mp.nstr(sl, 17)}")
