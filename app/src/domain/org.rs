//! Organisation and user input rules: names, slugs, email addresses.

/// Turns an organisation name into a URL-safe slug: lowercase ASCII letters, digits and
/// single dashes, at most 48 characters. Falls back to "org" when nothing is left.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
        if slug.len() >= 48 {
            break;
        }
    }
    let slug = slug.trim_end_matches('-').to_string();
    if slug.is_empty() {
        "org".to_string()
    } else {
        slug
    }
}

/// A slug given explicitly (CLI `--org`) must already be in slug form.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let ok = !slug.is_empty()
        && slug.len() <= 64
        && slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err("Use 1 to 64 lowercase letters, digits and dashes (like \"acme-store\").".into())
    }
}

pub fn check_org_name(name: &str) -> Result<(), String> {
    let len = name.trim().chars().count();
    if len == 0 {
        Err("Enter the name of your organisation.".into())
    } else if len > 200 {
        Err("Use at most 200 characters.".into())
    } else {
        Ok(())
    }
}

pub fn check_display_name(name: &str) -> Result<(), String> {
    let len = name.trim().chars().count();
    if len == 0 {
        Err("Enter a name.".into())
    } else if len > 200 {
        Err("Use at most 200 characters.".into())
    } else {
        Ok(())
    }
}

/// Emails are compared case-insensitively: this is the stored form.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately simple check: one `@`, something on both sides, a dot in the domain,
/// no spaces. The real proof of an address is a message that arrives.
pub fn check_email(email: &str) -> Result<(), String> {
    let email = email.trim();
    let msg = || Err("Enter an email address like name@example.com.".to_string());
    if email.is_empty() || email.len() > 320 || email.chars().any(char::is_whitespace) {
        return msg();
    }
    let Some((local, domain)) = email.split_once('@') else {
        return msg();
    };
    if local.is_empty()
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return msg();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugify_makes_url_safe_slugs() {
        assert_eq!(slugify("Acme Store"), "acme-store");
        assert_eq!(slugify("  Ünïcode & Co. "), "n-code-co");
        assert_eq!(slugify("!!!"), "org");
        assert!(slugify(&"x".repeat(100)).len() <= 48);
        assert!(check_slug(&slugify("Hello -- World--")).is_ok());
    }

    #[test]
    fn slug_check() {
        assert!(check_slug("acme").is_ok());
        assert!(check_slug("Acme").is_err());
        assert!(check_slug("-acme").is_err());
        assert!(check_slug("").is_err());
    }

    #[test]
    fn email_check() {
        assert!(check_email("ada@example.com").is_ok());
        assert!(check_email(" Ada@Example.com ").is_ok());
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a b@example.com", "a@b@c.com"] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert_eq!(normalize_email(" Ada@Example.COM "), "ada@example.com");
    }
}
