//! The specifiers `[Install]` accepts (systemd 252 `install_name_printf`): `%n %N %p %i %j`,
//! the credentials `%u %U %g %G`, the host's `%H %l %m %b %v %a`, the os-release `%o %w %W
//! %B` and `%%`. Kept local to the install code: it needs only the unit name and the scope.

use crate::scope::Scope;
use crate::unit::UnitName;
use std::path::Path;

/// Expands `text` for the unit `name`; `None` for an unknown or unresolvable specifier.
pub fn expand(scope: &Scope, name: &str, text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let parsed = UnitName::parse(name).ok();
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let spec = chars.next()?;
        let value = match spec {
            '%' => "%".to_string(),
            'n' => name.to_string(),
            'N' => parsed.as_ref()?.stem().to_string(),
            'p' => parsed.as_ref()?.prefix().to_string(),
            'i' => parsed.as_ref()?.instance().unwrap_or("").to_string(),
            'j' => {
                let prefix = parsed.as_ref()?.prefix();
                prefix.rsplit('-').next().unwrap_or(prefix).to_string()
            }
            'u' => scope.identity.name.clone(),
            'U' => scope.identity.uid.to_string(),
            'g' => scope.identity.group.clone(),
            'G' => scope.identity.gid.to_string(),
            'H' => hostname()?,
            'l' => hostname()?.split('.').next().unwrap_or("").to_string(),
            'm' => read_id(scope, "/etc/machine-id")?,
            'b' => std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
                .ok()?
                .trim()
                .replace('-', ""),
            'v' => nix::sys::utsname::uname()
                .ok()?
                .release()
                .to_string_lossy()
                .into_owned(),
            'a' => architecture().to_string(),
            'o' => os_release(scope, "ID"),
            'w' => os_release(scope, "VERSION_ID"),
            'W' => os_release(scope, "VARIANT_ID"),
            'B' => os_release(scope, "BUILD_ID"),
            _ => return None,
        };
        out.push_str(&value);
    }
    Some(out)
}

fn hostname() -> Option<String> {
    nix::unistd::gethostname()
        .ok()
        .map(|h| h.to_string_lossy().into_owned())
}

fn read_id(scope: &Scope, path: &str) -> Option<String> {
    let text = std::fs::read_to_string(scope.root.host_path(Path::new(path))).ok()?;
    let id = text.trim();
    (!id.is_empty()).then(|| id.to_string())
}

fn os_release(scope: &Scope, key: &str) -> String {
    ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(scope.root.host_path(Path::new(p))).ok())
        .and_then(|text| {
            text.lines().find_map(|l| {
                let v = l.strip_prefix(key)?.strip_prefix('=')?;
                Some(v.trim_matches(|c| c == '"' || c == '\'').to_string())
            })
        })
        .unwrap_or_default()
}

/// systemd's architecture names for `%a`.
fn architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x86-64",
        "x86" => "x86",
        "aarch64" => "arm64",
        "arm" => "arm",
        "powerpc64" => "ppc64-le",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::root::Root;
    use crate::scope::ScopeKind;
    use crate::users::Identity;

    #[test]
    fn name_specifiers() {
        let scope = Scope::new(
            ScopeKind::System,
            Root::host(),
            Identity::root_user(),
            &|_| None,
        );
        let x = |t: &str| expand(&scope, "foo-bar@baz.service", t);
        assert_eq!(
            x("%p|%i|%n|%N|%j|%%").unwrap(),
            "foo-bar|baz|foo-bar@baz.service|foo-bar@baz|bar|%"
        );
        assert_eq!(x("%u:%U").unwrap(), "root:0");
        assert_eq!(x("%Z"), None);
        assert_eq!(x("trailing%"), None);
    }
}
