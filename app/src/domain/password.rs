//! Password policy: what a new password must satisfy. Hashing lives in the services layer
//! (argon2id); this module only judges the choice, so the browser can show the same rules.

/// Minimum length in characters (NIST SP 800-63B recommends at least 8; we ask for 12).
pub const MIN_LEN: usize = 12;
/// Upper bound so a hash request cannot be used to burn CPU.
pub const MAX_LEN: usize = 256;

/// Whole passwords that meet the length rule but are among the most used.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "qwertyuiopas",
    "qwertyuiop123",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "abcdefghijkl",
    "abc123abc123",
    "asdfghjklqwe",
    "qwerty123456",
    "123456qwerty",
    "password1234",
    "passwordpassword",
    "iloveyouiloveyou",
    "111111111111",
    "000000000000",
    "123123123123",
    "987654321098",
    "correcthorsebatterystaple",
    "trustno1trustno1",
];

/// Words that, with digits and symbols stripped, make a guessable password
/// ("Password2024!!", "Welcome123456").
const COMMON_WORDS: &[&str] = &[
    "password",
    "passw",
    "qwerty",
    "qwertyuiop",
    "asdfgh",
    "letmein",
    "welcome",
    "admin",
    "administrator",
    "iloveyou",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "princess",
    "master",
    "shadow",
    "superman",
    "changeme",
    "secret",
    "mandate",
    "login",
    "passwort",
    "motdepasse",
    "contrasena",
];

/// Checks a proposed password; the error is a sentence to show under the field.
pub fn check_password(password: &str, email: &str) -> Result<(), String> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(format!("Use at least {MIN_LEN} characters."));
    }
    if len > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    let lower = password.to_lowercase();
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err("This password is too common. Choose a phrase only you would think of.".into());
    }
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.is_empty() || COMMON_WORDS.contains(&letters.as_str()) {
        return Err("This password is too easy to guess. Choose a phrase only you would think of.".into());
    }
    let mut distinct: Vec<char> = lower.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 5 {
        return Err("Use more different characters.".into());
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if !email.is_empty() && (lower.contains(&email) || (local.chars().count() >= 4 && lower.contains(local))) {
        return Err("Don't use your email address in your password.".into());
    }
    Ok(())
}

/// Confirmation must match exactly.
pub fn check_confirmation(password: &str, confirmation: &str) -> Result<(), String> {
    if password == confirmation {
        Ok(())
    } else {
        Err("The two passwords are not the same.".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: &str = "ada@example.com";

    #[test]
    fn accepts_a_long_uncommon_passphrase() {
        assert_eq!(check_password("violet kettle runs uphill", EMAIL), Ok(()));
        assert_eq!(check_password("Tr0ub4dor&3-horse", EMAIL), Ok(()));
    }

    #[test]
    fn rejects_short_passwords() {
        let err = check_password("short1!", EMAIL).unwrap_err();
        assert!(err.contains("12"), "{err}");
        // 11 characters, just under the limit
        assert!(check_password("abcdefghijk", EMAIL).is_err());
        // length counts characters, not bytes
        assert!(check_password("ééééééabcde", EMAIL).is_err());
    }

    #[test]
    fn rejects_overlong_passwords() {
        let long = "a-b-c-d-e-f-".repeat(30);
        assert!(check_password(&long, EMAIL).unwrap_err().contains("at most"));
    }

    #[test]
    fn rejects_common_passwords_case_insensitively() {
        for pw in ["password1234", "PASSWORD1234", "QwertyUiopAs", "123456789012"] {
            assert!(check_password(pw, EMAIL).is_err(), "{pw} should be refused");
        }
    }

    #[test]
    fn rejects_common_words_with_digits_and_symbols() {
        for pw in ["Password2024!!", "Welcome123456", "!!letmein!!2026", "Mandate-2026-01"] {
            assert!(check_password(pw, EMAIL).is_err(), "{pw} should be refused");
        }
    }

    #[test]
    fn rejects_too_few_distinct_characters() {
        assert!(check_password("abababababababab", EMAIL).is_err());
        assert!(check_password("zzzzzzzzzzzzzz", EMAIL).is_err());
    }

    #[test]
    fn rejects_password_containing_the_email() {
        assert!(check_password("my ada@example.com pw", EMAIL).is_err());
        assert!(check_password("grace-hopper-rocks", "grace-hopper@example.com").is_err());
    }

    #[test]
    fn confirmation_must_match() {
        assert!(check_confirmation("a", "a").is_ok());
        assert!(check_confirmation("a", "b").is_err());
    }
}
