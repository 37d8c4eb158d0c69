//! The 64-bit command hash of ninja's build log ([log.build.hash]).
//!
//! Since 1.12 ninja hashes the evaluated command with *rapidhash* (a
//! wyhash-derived 64-bit hash, default seed and secrets, the "fast",
//! unrolled variant). Before 1.12 the log used MurmurHash64A; those logs were
//! written as v5/v6 and 1.13 rejects them anyway ([log.build.version]).
//!
//! This is an independent implementation written from the algorithm's
//! description; the test vectors come from real ninja 1.13 `.ninja_log` files.

/// The default seed.
const SEED: u64 = 0xbdd8_9aa9_8270_4029;
/// The three default secrets.
const S0: u64 = 0x2d35_8dcc_aa6c_78a5;
const S1: u64 = 0x8bb8_4b93_962e_acc9;
const S2: u64 = 0x4b33_a62e_d433_d4a3;

/// Full 128-bit product of `a` and `b`, as (low half, high half).
fn mul_wide(a: u64, b: u64) -> (u64, u64) {
    let product = u128::from(a) * u128::from(b);
    (product as u64, (product >> 64) as u64)
}

/// Multiply and fold the two halves together.
fn fold(a: u64, b: u64) -> u64 {
    let (lo, hi) = mul_wide(a, b);
    lo ^ hi
}

fn le64(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(word)
}

fn le32(bytes: &[u8], at: usize) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[at..at + 4]);
    u64::from(u32::from_le_bytes(word))
}

/// rapidhash of `data` with the default seed.
pub fn rapidhash(data: &[u8]) -> u64 {
    let len = data.len();
    let len64 = len as u64;
    let mut seed = SEED ^ fold(SEED ^ S0, S1) ^ len64;
    let (a, b);
    if len <= 16 {
        if len >= 4 {
            // Two overlapping 32-bit reads from each end; the inner pair
            // moves inwards by 4 bytes once the input reaches 8 bytes.
            let last = len - 4;
            let shift = if len >= 8 { 4 } else { 0 };
            a = (le32(data, 0) << 32) | le32(data, last);
            b = (le32(data, shift) << 32) | le32(data, last - shift);
        } else if len > 0 {
            a = (u64::from(data[0]) << 56)
                | (u64::from(data[len >> 1]) << 32)
                | u64::from(data[len - 1]);
            b = 0;
        } else {
            a = 0;
            b = 0;
        }
    } else {
        let mut pos = 0usize;
        let mut rest = len;
        if rest > 48 {
            let mut lane1 = seed;
            let mut lane2 = seed;
            while rest >= 48 {
                seed = fold(le64(data, pos) ^ S0, le64(data, pos + 8) ^ seed);
                lane1 = fold(le64(data, pos + 16) ^ S1, le64(data, pos + 24) ^ lane1);
                lane2 = fold(le64(data, pos + 32) ^ S2, le64(data, pos + 40) ^ lane2);
                pos += 48;
                rest -= 48;
            }
            seed ^= lane1 ^ lane2;
        }
        if rest > 16 {
            seed = fold(le64(data, pos) ^ S2, le64(data, pos + 8) ^ seed ^ S1);
            if rest > 32 {
                seed = fold(le64(data, pos + 16) ^ S2, le64(data, pos + 24) ^ seed);
            }
        }
        // The last 16 bytes of the input (may overlap bytes already mixed).
        a = le64(data, len - 16);
        b = le64(data, len - 8);
    }
    let (a, b) = mul_wide(a ^ S1, b ^ seed);
    fold(a ^ S0 ^ len64, b ^ S1)
}

/// The hash ninja 1.13 stores in `.ninja_log` for an evaluated command
/// (the command, plus `;rspfile=` and the response file content when the
/// edge has a non-empty `rspfile_content`).
pub fn command_hash(command: &[u8]) -> u64 {
    rapidhash(command)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values read from `.ninja_log` files written by real ninja 1.13.2.
    #[test]
    fn matches_real_ninja() {
        let cases: &[(&[u8], u64)] = &[
            (b"", 0x5a6ef77074ebc84b),
            (b":", 0xa2da22321247804b),
            (b":;", 0x8f67c90cb3692802),
            (b":;:", 0x709553b86689a1fa),
            (b"true", 0x090a52a5dca2ed61),
            (b"true;", 0xb202f5db59a6c04f),
            (b":;true", 0xc360883f1bb851e2),
            (b":;:;:;:", 0x8eed6e43c31e5f5f),
            (b": && touch o1", 0xcfa1a74ecdeb8856),
            (b":  && touch o2", 0x73b0d32b36e3dd2b),
            (b": x && touch o3", 0x10a483a0c47aedb9),
            (b": x  && touch o4", 0xac7bed0492cf4a0f),
            (b": x x && touch o5", 0x68a96c7b209a65ff),
            (b": x x x && touch o7", 0xbc2abed636f64bd4),
            (b": x x x  && touch o8", 0x0fc15622e648ece5),
            (b": x x x x && touch o9", 0x1d323a20410de8db),
            (b": x x x x x x x && touch o15", 0x3c2b45b14808c431),
            (b": x x x x x x x  && touch o16", 0x41acb9216d717d7d),
            (b": x x x x x x x x && touch o17", 0xccc7b41b2f1ab0ab),
            (b": x x x x x x x x x x x x x x x && touch o31", 0x95ca570e8f0aa9ee),
            (b": x x x x x x x x x x x x x x x  && touch o32", 0xd756515e46e336df),
            (b": x x x x x x x x x x x x x x x x && touch o33", 0xf6f20f3025e6756b),
            (b": x x x x x x x x x x x x x x x x x x x x x x x && touch o47", 0x47ab959e4d43adc8),
            (b": x x x x x x x x x x x x x x x x x x x x x x x  && touch o48", 0xabe2e57be937dbb2),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x && touch o49", 0x13cc37ec55cc060f),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x && touch o95", 0x06c10a9a1fb94a1c),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x  && touch o96", 0x05ddd5d612253d8d),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x && touch o97", 0x56ee34ed74229e63),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x  && touch o100", 0x44c0cd0395e576f0),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x  && touch o150", 0xd1adc00a3a0f26de),
            (b": x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x  && touch o200", 0x2d5b1efedd260f43),
            (
                b"printf '%s: %s\\n' out.o in.c > out.o.d && cat in.c > out.o",
                0xa42ecd229b8bf102,
            ),
            (
                b"printf '%s: %s\\n' b.o in.c > b.o.d && cat in.c > b.o",
                0xd9060aee2575b38b,
            ),
        ];
        for (command, hash) in cases {
            assert_eq!(
                command_hash(command),
                *hash,
                "{}",
                String::from_utf8_lossy(command)
            );
        }
    }

    #[test]
    fn all_lengths_do_not_panic() {
        let data: Vec<u8> = (0..300u32).map(|i| (i * 7 + 3) as u8).collect();
        let mut seen = std::collections::HashSet::new();
        for n in 0..data.len() {
            seen.insert(rapidhash(&data[..n]));
        }
        assert_eq!(seen.len(), data.len());
    }
}
