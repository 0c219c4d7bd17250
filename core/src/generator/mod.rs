//! Generators (systemd.generator(7) of 252): small programs that turn other configuration
//! into units before the units are loaded. PID 1 runs them at boot and on
//! `daemon-reload`; without a unitbox PID 1 `systemctl` runs them when their output is
//! missing or older than their inputs ([`fresh`]).
//!
//! - [`run`]: every executable of the scope's generator directories, in parallel, with the
//!   three output directories as arguments and 252's environment, under one timeout; a
//!   failing generator is logged and skipped.
//! - [`fresh`]: the inputs' fingerprint and the stamp that says the output is current.
//! - [`sysv`]: the built-in `systemd-sysv-generator` (init scripts → units).

pub mod fresh;
pub mod run;
pub mod sysv;

use crate::exec::environment::EnvBlock;
use crate::scope::{Scope, ScopeKind};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// systemd's `DEFAULT_TIMEOUT_USEC`, the budget of all generators together.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(90);
/// Overrides [`DEFAULT_TIMEOUT`] (a time span: `500ms`, `2s`), for images and tests.
pub const TIMEOUT_ENV: &str = "UNITBOX_GENERATOR_TIMEOUT";

/// One generator found on the lookup path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generator {
    /// The file name, which decides order and which directory wins.
    pub name: String,
    /// Logical path.
    pub path: PathBuf,
    /// Run in-process instead of executing `path` ([`sysv`]).
    pub builtin: bool,
}

/// The generators of a scope: executables of its generator directories, one per file
/// name (the first directory wins, a symlink to `/dev/null` or an empty file masks the
/// name), in file-name order. The system scope always has `systemd-sysv-generator`,
/// built in (a scratch image has no binary of it), unless that name is masked.
pub fn find(scope: &Scope) -> Vec<Generator> {
    use std::os::unix::fs::PermissionsExt;
    let root = &scope.root;
    let mut out = Vec::new();
    let mut sysv_seen = false;
    for path in crate::dirent::conf_files(root, &scope.generator_binary_dirs(), None) {
        let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
            continue;
        };
        let builtin = scope.kind == ScopeKind::System && name == sysv::BUILTIN_NAME;
        sysv_seen |= builtin;
        let masked = root
            .read_link(&path)
            .is_ok_and(|t| t == Path::new("/dev/null"));
        let Ok(meta) = std::fs::metadata(root.host_path(&path)) else {
            continue;
        };
        if masked || meta.len() == 0 {
            continue;
        }
        if builtin || (meta.is_file() && meta.permissions().mode() & 0o111 != 0) {
            out.push(Generator {
                name,
                path,
                builtin,
            });
        }
    }
    if scope.kind == ScopeKind::System && !sysv_seen {
        let path = PathBuf::from("/usr/lib/systemd/system-generators").join(sysv::BUILTIN_NAME);
        out.push(Generator {
            name: sysv::BUILTIN_NAME.to_string(),
            path,
            builtin: true,
        });
        out.sort_by(|a, b| a.name.cmp(&b.name));
    }
    out
}

/// The environment 252 gives generators: the manager's own environment plus
/// `SYSTEMD_SCOPE`, `SYSTEMD_IN_INITRD` and `SYSTEMD_FIRST_BOOT` (system manager),
/// `SYSTEMD_VIRTUALIZATION` (when virtualized) and `SYSTEMD_ARCHITECTURE`
/// (`SYSTEMD_EXEC_PID` is set by the spawn itself).
pub fn environment(scope: &Scope, first_boot: bool) -> EnvBlock {
    let mut env = EnvBlock::default();
    for (k, v) in std::env::vars_os() {
        if let (Some(k), Some(v)) = (k.to_str(), v.to_str()) {
            env.set(k, v);
        }
    }
    let system = scope.kind == ScopeKind::System;
    env.set("SYSTEMD_SCOPE", if system { "system" } else { "user" });
    if system {
        let facts = crate::host::RootFacts { root: &scope.root };
        env.set(
            "SYSTEMD_IN_INITRD",
            if facts.in_initrd() { "1" } else { "0" },
        );
        env.set("SYSTEMD_FIRST_BOOT", if first_boot { "1" } else { "0" });
    }
    let virt = crate::host::detect_virtualization();
    if !virt.is_none() {
        let kind = if virt.is_container { "container" } else { "vm" };
        env.set("SYSTEMD_VIRTUALIZATION", &format!("{kind}:{}", virt.id));
    }
    let facts = crate::host::HostFacts::default();
    if let Some(arch) = facts
        .machine()
        .and_then(crate::arch::architecture_from_uname)
    {
        env.set("SYSTEMD_ARCHITECTURE", arch);
    }
    env
}

/// The timeout from [`TIMEOUT_ENV`], else [`DEFAULT_TIMEOUT`].
pub fn timeout_from_env() -> Duration {
    std::env::var(TIMEOUT_ENV)
        .ok()
        .and_then(|v| crate::unit::value::parse_timespan(&v, 1_000_000))
        .map(Duration::from_micros)
        .unwrap_or(DEFAULT_TIMEOUT)
}

/// Runs the scope's generators now (boot, `daemon-reload`): empties the output
/// directories, runs every generator, removes the output directories left empty and
/// records the inputs' fingerprint. `log` gets one line per problem, worded as 252's.
/// Returns how many generators failed.
pub fn run_all(scope: &Scope, first_boot: bool, log: &dyn Fn(&str)) -> usize {
    let Some(outputs) = scope.generator_output_dirs() else {
        return 0;
    };
    let _lock = fresh::lock_runs(scope);
    let generators = find(scope);
    let env = environment(scope, first_boot);
    let failed = run::run(scope, &generators, &outputs, &env, timeout_from_env(), log);
    fresh::record(scope);
    failed
}

/// Runs the generators unless their output is current (the fingerprint of their inputs
/// matches the stamp of the last run). For `systemctl` without a unitbox PID 1; quiet when
/// the scope's output directories cannot be written (a plain user's view of the system).
pub fn ensure_fresh(scope: &Scope, log: &dyn Fn(&str)) {
    if !fresh::writable(scope) || fresh::is_current(scope) {
        return;
    }
    {
        // Someone else may have run them while we waited.
        let _lock = fresh::lock_runs(scope);
        if fresh::is_current(scope) {
            return;
        }
    }
    let facts = crate::host::RootFacts { root: &scope.root };
    run_all(scope, facts.first_boot(), log);
}
