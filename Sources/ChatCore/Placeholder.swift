// Keeps the target non-empty until the domain core's files land.
