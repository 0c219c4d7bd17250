//! Small verbs: help, --version, show-environment, get-default.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::verbs::show::format::shell_quote_posix;
use unitbox_core::exec::manager_env;

/// systemd's compile-time feature list, all off: unitbox links none of those libraries.
pub const FEATURES: &str = "-PAM -AUDIT -SELINUX -APPARMOR -IMA -SMACK -SECCOMP -GCRYPT \
-GNUTLS -OPENSSL -ACL -BLKID -CURL -ELFUTILS -FIDO2 -IDN2 -IDN -IPTC -KMOD -LIBCRYPTSETUP \
-LIBFDISK -PCRE2 -PWQUALITY -P11KIT -QRENCODE -TPM2 -BZIP2 -LZ4 -XZ -ZLIB -ZSTD \
-BPF_FRAMEWORK -XKBCOMMON -UTMP -SYSVINIT";

pub fn print_help() {
    print!("{}", include_str!("help.txt"));
}

/// The first line keeps systemd's `systemd NNN (…)` shape, so scripts that parse the
/// version of "systemd" get 252, the version whose semantics unitbox follows.
pub fn print_version() {
    println!("systemd 252 (unitbox {})", env!("CARGO_PKG_VERSION"));
    println!("{FEATURES} default-hierarchy=unified");
}

pub fn help(_ctx: &Ctx) -> CtlResult {
    print_help();
    Ok(ExitStatus::SUCCESS)
}

/// `show-environment`: the manager's environment, sorted, values quoted as systemd does.
pub fn show_environment(ctx: &Ctx) -> CtlResult {
    let mut out = String::new();
    for entry in manager_environment(ctx) {
        if let Some((name, value)) = entry.split_once('=') {
            out.push_str(&format!("{name}={}\n", shell_quote_posix(value)));
        }
    }
    print!("{out}");
    Ok(ExitStatus::SUCCESS)
}

/// The manager environment of the scope (core's one model), as `NAME=value` entries.
pub fn manager_environment(ctx: &Ctx) -> Vec<String> {
    manager_env::manager_environment(&ctx.scope, &manager_env::own_environment())
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect()
}
