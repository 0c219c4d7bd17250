//! The specifiers `[Install]` accepts (systemd 252 `install_name_printf`): a subset of the
//! unit specifiers, resolved by [`crate::unit::specifier`] against the scope.

use crate::scope::Scope;
use crate::unit::specifier::{self, SpecifierContext};
use crate::unit::UnitName;

const ALLOWED: &str = "abBgGHijlmnNopuUvwW%";

/// Expands `text` for the unit `name`; `None` for a specifier `[Install]` does not accept
/// or one that cannot be resolved.
pub fn expand(scope: &Scope, name: &str, text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let mut specs = text.split('%').skip(1);
    // "%%" splits into an empty piece followed by the rest: skip the piece after it.
    while let Some(piece) = specs.next() {
        match piece.chars().next() {
            None => {
                specs.next();
            }
            Some(c) if !ALLOWED.contains(c) => return None,
            Some(_) => {}
        }
    }
    let unit = UnitName::parse(name).ok()?;
    let ctx = SpecifierContext {
        unit: &unit,
        fragment: None,
        scope,
    };
    specifier::expand(text, &ctx).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;

    #[test]
    fn only_install_specifiers_are_accepted() {
        let scope = Scope::new(
            ScopeKind::System,
            Root::host(),
            Identity::root_user(),
            &|_| None,
        );
        assert_eq!(
            expand(&scope, "getty@tty1.service", "x-%i-%p.%%").as_deref(),
            Some("x-tty1-getty.%")
        );
        assert_eq!(expand(&scope, "a.service", "%t"), None);
        assert_eq!(
            expand(&scope, "a.service", "100%%").as_deref(),
            Some("100%")
        );
    }
}
