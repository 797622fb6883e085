use std::fmt;

use serde::{Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::RuleCode;

/// Identifies a finding across edits: the same secret, for the same rule, in the same file has
/// the same fingerprint wherever the line moves to.
///
/// It is the first 128 bits of SHA-256 over a version tag, the rule code, the path relative to the
/// scan root and the secret, with separators that cannot appear in a code or a path. The secret
/// itself is never stored. A hash of a weak password can still be guessed offline by trying
/// candidates, so baselines and SARIF files belong to the same audience as the code they describe
/// (docs/baseline.md says so).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn compute(code: &RuleCode, path: &str, secret: &[u8]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"airseal-fingerprint-v1\0");
        hasher.update(code.as_str().as_bytes());
        hasher.update(b"\0");
        hasher.update(path.as_bytes());
        hasher.update(b"\0");
        hasher.update(secret);
        let digest = hasher.finalize();
        let mut hex = String::with_capacity(32);
        for byte in &digest[..16] {
            hex.push_str(&format!("{byte:02x}"));
        }
        Fingerprint(hex)
    }

    /// A fingerprint read back from a baseline file (32 lowercase hex digits).
    pub fn parse(text: &str) -> Option<Self> {
        let valid = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| Fingerprint(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_fingerprint_and_no_secret_inside() {
        let code = RuleCode::new("KEY001").unwrap();
        let a = Fingerprint::compute(&code, "dags/etl.py", b"AKIAQYLPMN5HFIQR7Q2X");
        let b = Fingerprint::compute(&code, "dags/etl.py", b"AKIAQYLPMN5HFIQR7Q2X");
        assert_eq!(a, b);
        assert_eq!(a.as_str().len(), 32);
        assert!(!a.as_str().contains("AKIA"));
        assert_eq!(Fingerprint::parse(a.as_str()), Some(a.clone()));
    }

    #[test]
    fn path_rule_and_secret_all_matter() {
        let code = RuleCode::new("KEY001").unwrap();
        let other = RuleCode::new("KEY002").unwrap();
        let base = Fingerprint::compute(&code, "a.py", b"s3cr3t-value");
        assert_ne!(base, Fingerprint::compute(&other, "a.py", b"s3cr3t-value"));
        assert_ne!(base, Fingerprint::compute(&code, "b.py", b"s3cr3t-value"));
        assert_ne!(base, Fingerprint::compute(&code, "a.py", b"s3cr3t-valuf"));
    }
}
