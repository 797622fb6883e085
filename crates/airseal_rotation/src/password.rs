//! New passwords from the operating system's cryptographic RNG (`getrandom`), uniform over the
//! allowed characters (rejection sampling, no modulo bias), with at least one character of each
//! required class.

use airseal_config::rotation::{CharClass, FORBIDDEN_CHARACTERS, PasswordSettings};

use crate::RotationError;

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGIT: &str = "0123456789";

fn class_characters(class: CharClass, settings: &PasswordSettings) -> Vec<u8> {
    let all = match class {
        CharClass::Lower => LOWER,
        CharClass::Upper => UPPER,
        CharClass::Digit => DIGIT,
        CharClass::Symbol => settings.symbols.as_str(),
    };
    all.bytes()
        .filter(|b| !settings.exclude.as_bytes().contains(b))
        .filter(|b| !FORBIDDEN_CHARACTERS.as_bytes().contains(b))
        .collect()
}

/// A uniform index below `bound` (≤ 256) from the RNG.
fn below(bound: usize, pool: &mut Vec<u8>) -> Result<usize, RotationError> {
    let limit = 256 - 256 % bound;
    loop {
        if pool.is_empty() {
            let mut bytes = [0u8; 64];
            getrandom::fill(&mut bytes).map_err(|e| RotationError::Random(e.to_string()))?;
            pool.extend_from_slice(&bytes);
        }
        let byte = usize::from(pool.pop().unwrap_or_default());
        if byte < limit {
            return Ok(byte % bound);
        }
    }
}

/// A new password under `settings`.
pub fn generate(settings: &PasswordSettings) -> Result<String, RotationError> {
    let mut alphabet: Vec<u8> = Vec::new();
    for class in [
        CharClass::Lower,
        CharClass::Upper,
        CharClass::Digit,
        CharClass::Symbol,
    ] {
        alphabet.extend(class_characters(class, settings));
    }
    alphabet.sort_unstable();
    alphabet.dedup();
    for class in &settings.require {
        if class_characters(*class, settings).is_empty() {
            return Err(RotationError::Policy(format!(
                "rotation.password requires a {class:?} character but `exclude` removes all of them"
            )));
        }
    }
    if alphabet.len() < 10 {
        return Err(RotationError::Policy(
            "rotation.password leaves fewer than 10 characters to draw from".to_owned(),
        ));
    }
    let mut pool = Vec::new();
    let mut password: Vec<u8> = (0..settings.length)
        .map(|_| below(alphabet.len(), &mut pool).map(|i| alphabet[i]))
        .collect::<Result<_, _>>()?;
    // One character of each required class, at distinct random positions.
    let mut positions: Vec<usize> = (0..password.len()).collect();
    for class in &settings.require {
        let characters = class_characters(*class, settings);
        let pick = below(positions.len(), &mut pool)?;
        let position = positions.swap_remove(pick);
        password[position] = characters[below(characters.len(), &mut pool)?];
    }
    Ok(String::from_utf8(password).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_follow_the_policy_and_differ() {
        let settings = PasswordSettings {
            length: 20,
            require: vec![
                CharClass::Lower,
                CharClass::Upper,
                CharClass::Digit,
                CharClass::Symbol,
            ],
            symbols: "-_".to_owned(),
            exclude: "lIO0".to_owned(),
        };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let password = generate(&settings).expect("generates");
            assert_eq!(password.len(), 20);
            assert!(password.bytes().any(|b| b.is_ascii_lowercase()));
            assert!(password.bytes().any(|b| b.is_ascii_uppercase()));
            assert!(password.bytes().any(|b| b.is_ascii_digit()));
            assert!(password.bytes().any(|b| b == b'-' || b == b'_'));
            assert!(!password.contains(['l', 'I', 'O', '0']));
            assert!(
                password
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert!(seen.insert(password));
        }
    }

    #[test]
    fn default_passwords_survive_the_uri_form_unencoded() {
        let password = generate(&PasswordSettings::default()).expect("generates");
        let connection = airseal_connection::Connection {
            conn_type: Some("postgres".to_owned()),
            host: Some("db".to_owned()),
            login: Some("app".to_owned()),
            password: Some(password.clone()),
            ..Default::default()
        };
        let uri = connection.to_uri(airseal_connection::Dialect::Airflow3);
        assert!(uri.contains(&password), "no percent-encoding needed");
    }

    #[test]
    fn characters_are_drawn_evenly() {
        let settings = PasswordSettings {
            length: 128,
            require: Vec::new(),
            symbols: String::new(),
            exclude: String::new(),
        };
        let mut counts = [0usize; 256];
        for _ in 0..400 {
            for b in generate(&settings).expect("generates").bytes() {
                counts[usize::from(b)] += 1;
            }
        }
        // 51,200 draws over 62 characters: about 826 each; a modulo bias would skew some by ~25%.
        let used: Vec<usize> = counts.iter().copied().filter(|&c| c > 0).collect();
        assert_eq!(used.len(), 62);
        assert!(used.iter().all(|&c| (650..1000).contains(&c)), "{used:?}");
    }

    #[test]
    fn a_policy_that_excludes_a_required_class_is_an_error() {
        let settings = PasswordSettings {
            exclude: "0123456789".to_owned(),
            ..PasswordSettings::default()
        };
        assert!(generate(&settings).is_err());
    }
}
