//! Small verbs: help, --version, show-environment, get-default.

use crate::context::Ctx;
use crate::exit::{CtlResult, ExitStatus};
use crate::verbs::show::format::shell_quote_posix;
use std::path::Path;
use unitbox_core::scope::ScopeKind;
use unitbox_core::unit::syntax;
use unitbox_core::unit::value::{split_words, SplitOptions};

/// systemd's compile-time feature list, all off: unitbox links none of those libraries.
pub const FEATURES: &str = "-PAM -AUDIT -SELINUX -APPARMOR -IMA -SMACK -SECCOMP -GCRYPT \
-GNUTLS -OPENSSL -ACL -BLKID -CURL -ELFUTILS -FIDO2 -IDN2 -IDN -IPTC -KMOD -LIBCRYPTSETUP \
-LIBFDISK -PCRE2 -PWQUALITY -P11KIT -QRENCODE -TPM2 -BZIP2 -LZ4 -XZ -ZLIB -ZSTD \
-BPF_FRAMEWORK -XKBCOMMON -UTMP -SYSVINIT";

/// The `PATH` the manager gives its services (systemd 252's `DEFAULT_PATH`).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin";

/// The locale systemd falls back to when no configuration sets `LANG`.
const DEFAULT_LOCALE: &str = "C.UTF-8";

const LOCALE_VARIABLES: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "LC_PAPER",
    "LC_NAME",
    "LC_ADDRESS",
    "LC_TELEPHONE",
    "LC_MEASUREMENT",
    "LC_IDENTIFICATION",
];

/// Variables a user manager drops from the environment it inherited (systemd's
/// `sanitize_environment()`): they describe its own invocation, not its children's.
const INVOCATION_VARIABLES: &[&str] = &[
    "EXIT_CODE",
    "EXIT_STATUS",
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "LISTEN_FDNAMES",
    "LISTEN_FDS",
    "LISTEN_PID",
    "MAINPID",
    "MANAGERPID",
    "NOTIFY_SOCKET",
    "PIDFILE",
    "REMOTE_ADDR",
    "REMOTE_PORT",
    "SERVICE_RESULT",
    "WATCHDOG_PID",
    "WATCHDOG_USEC",
];

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

/// The environment the manager passes to every service, sorted: the system manager starts
/// clean (`PATH` plus the configured locale); a user manager passes on its own
/// environment with `PATH` replaced. `DefaultEnvironment=` of `system.conf`/`user.conf`
/// (and their `.d/` drop-ins) is added on top.
pub fn manager_environment(ctx: &Ctx) -> Vec<String> {
    let scope = &ctx.scope;
    let mut env: Vec<String> = Vec::new();
    let set = |env: &mut Vec<String>, entry: String| {
        let name = entry.split_once('=').map(|(n, _)| n.to_string());
        match env
            .iter_mut()
            .find(|e| e.split_once('=').map(|(n, _)| n.to_string()) == name)
        {
            Some(slot) => *slot = entry,
            None => env.push(entry),
        }
    };
    let conf = if scope.kind == ScopeKind::System {
        for entry in locale_settings(ctx) {
            set(&mut env, entry);
        }
        "system"
    } else {
        for (k, v) in std::env::vars() {
            if !INVOCATION_VARIABLES.contains(&k.as_str()) {
                set(&mut env, format!("{k}={v}"));
            }
        }
        "user"
    };
    set(&mut env, format!("PATH={DEFAULT_PATH}"));
    for entry in default_environment(ctx, conf) {
        set(&mut env, entry);
    }
    env.sort();
    env
}

/// `LANG=` and `LC_*=` from `/etc/locale.conf` (or Debian's `/etc/default/locale`),
/// `LANG=C.UTF-8` when nothing sets `LANG`.
fn locale_settings(ctx: &Ctx) -> Vec<String> {
    let root = &ctx.scope.root;
    let mut out: Vec<String> = Vec::new();
    for file in ["/etc/locale.conf", "/etc/default/locale"] {
        let Ok(text) = std::fs::read_to_string(root.host_path(Path::new(file))) else {
            continue;
        };
        for line in text.lines().map(str::trim) {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            if !LOCALE_VARIABLES.contains(&key) {
                continue;
            }
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            if !value.is_empty() {
                out.push(format!("{key}={value}"));
            }
        }
        break;
    }
    if !out.iter().any(|e| e.starts_with("LANG=")) {
        out.push(format!("LANG={DEFAULT_LOCALE}"));
    }
    out
}

/// `DefaultEnvironment=` assignments of `/etc/systemd/{system,user}.conf` and drop-ins.
fn default_environment(ctx: &Ctx, conf: &str) -> Vec<String> {
    let root = &ctx.scope.root;
    let main = format!("/etc/systemd/{conf}.conf");
    let mut files = vec![Path::new(&main).to_path_buf()];
    let dropin_dir = format!("/etc/systemd/{conf}.conf.d");
    if let Ok(read) = std::fs::read_dir(root.host_path(Path::new(&dropin_dir))) {
        let mut names: Vec<String> = read
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.ends_with(".conf"))
            .collect();
        names.sort();
        files.extend(names.iter().map(|n| Path::new(&dropin_dir).join(n)));
    }
    let opts = SplitOptions {
        c_unescape: true,
        relax: false,
    };
    let mut out = Vec::new();
    for file in files {
        let Ok(text) = std::fs::read_to_string(root.host_path(&file)) else {
            continue;
        };
        let (entries, _) = syntax::parse(&text, &file);
        for e in entries
            .iter()
            .filter(|e| e.section == "Manager" && e.key == "DefaultEnvironment")
        {
            if e.value.is_empty() {
                out.clear();
                continue;
            }
            out.extend(
                split_words(&e.value, opts)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|w| w.contains('=')),
            );
        }
    }
    out
}
