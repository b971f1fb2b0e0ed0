/// Python's `random.Random(seed)` for a non-negative integer seed: MT19937 seeded by `init_by_array`, and
/// `random()` built from two 32-bit draws, exactly as CPython's `_randommodule.c` does.
///
/// Simulations draw from it so that, for a given seed, `xray rules simulate` makes the very decisions the Python
/// SDK makes, and the oracle's expected counts can be compared exactly even for fractional rates.
struct PythonRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    init(seed: UInt64) {
        var key: [UInt32] = []
        var rest = seed
        while rest > 0 {
            key.append(UInt32(truncatingIfNeeded: rest))
            rest >>= 32
        }
        if key.isEmpty { key = [0] }
        seedByArray(key)
    }

    private mutating func seedGenerator(_ seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            let previous = state[i - 1]
            state[i] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    private mutating func seedByArray(_ key: [UInt32]) {
        seedGenerator(19_650_218)
        var i = 1
        var j = 0
        for _ in 0..<max(624, key.count) {
            let previous = state[i - 1]
            state[i] = (state[i] ^ ((previous ^ (previous >> 30)) &* 1_664_525)) &+ key[j] &+ UInt32(j)
            i += 1
            j += 1
            if i >= 624 {
                state[0] = state[623]
                i = 1
            }
            if j >= key.count { j = 0 }
        }
        for _ in 0..<623 {
            let previous = state[i - 1]
            state[i] = (state[i] ^ ((previous ^ (previous >> 30)) &* 1_566_083_941)) &- UInt32(i)
            i += 1
            if i >= 624 {
                state[0] = state[623]
                i = 1
            }
        }
        state[0] = 0x8000_0000
    }

    private mutating func next32() -> UInt32 {
        if index >= 624 {
            for k in 0..<624 {
                let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7fff_ffff)
                var value = state[(k + 397) % 624] ^ (y >> 1)
                if y & 1 != 0 { value ^= 0x9908_b0df }
                state[k] = value
            }
            index = 0
        }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9d2c_5680
        y ^= (y << 15) & 0xefc6_0000
        y ^= y >> 18
        return y
    }

    /// A double in [0, 1) with 53 random bits, `random.random()`.
    mutating func random() -> Double {
        let a = Double(next32() >> 5)
        let b = Double(next32() >> 6)
        return (a * 67_108_864.0 + b) * (1.0 / 9_007_199_254_740_992.0)
    }
}
