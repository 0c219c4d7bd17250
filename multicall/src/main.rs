//! The `unitbox` multicall binary: dispatches on the name it was called by (busybox
//! style), or on its first argument (`unitbox systemctl …`).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

type Applet = fn(Vec<OsString>) -> i32;

/// Every applet this binary carries, in the order `--list` prints them.
const APPLETS: &[(&str, Applet)] = &[
    ("systemctl", unitbox_systemctl::main),
    ("journalctl", unitbox_journalctl::main),
    ("systemd-notify", unitbox_systemd_notify::main),
    ("systemd-run", unitbox_systemd_run::main),
    ("systemd-analyze", unitbox_systemd_analyze::main),
    ("systemd-tmpfiles", unitbox_systemd_tmpfiles::main),
    ("systemd-cat", unitbox_systemd_cat::main),
    ("systemd-journald", unitbox_core::journal::server::main),
];

fn find(name: &str) -> Option<Applet> {
    APPLETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn basename(arg: &OsString) -> String {
    Path::new(arg)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    // A unit's supervisor re-executes /proc/self/exe as `unitbox __supervise …` (a hidden
    // name: not a command for people, never listed).
    std::process::exit(unitbox_core::supervisor::or_applet(args, run));
}

fn run(args: Vec<OsString>) -> i32 {
    let called_as = args.first().map(basename).unwrap_or_default();
    if let Some(applet) = find(&called_as) {
        return applet(args);
    }
    let rest: Vec<OsString> = args.into_iter().skip(1).collect();
    // `CMD ["/usr/bin/unitbox"]`: as PID 1 with nothing to do, be the container's init.
    if rest.is_empty() && std::process::id() == 1 {
        return unitbox_systemctl::main(vec!["systemctl".into()]);
    }
    let first = rest.first().map(|a| a.to_string_lossy().into_owned());
    match first.as_deref() {
        None | Some("-h") | Some("--help") => {
            usage();
            if first.is_none() {
                1
            } else {
                0
            }
        }
        Some("--list") => {
            for (name, _) in APPLETS {
                println!("{name}");
            }
            0
        }
        Some("--version") => {
            println!("unitbox {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("--install") => install(&rest[1..]),
        Some(name) => match find(name) {
            Some(applet) => applet(rest),
            None => {
                eprintln!("unitbox: unknown applet '{name}' (see 'unitbox --list')");
                1
            }
        },
    }
}

fn usage() {
    println!("Usage: unitbox APPLET [ARGS...]   (or call it through a symlink named APPLET)");
    println!("       unitbox --list             list the applets");
    println!("       unitbox --install DIR [--force]");
    println!("                                  create one symlink per applet in DIR");
}

/// `--install DIR [--force]`: one symlink per applet, pointing at this binary. Existing
/// symlinks are replaced; any other file is left alone unless `--force`.
fn install(args: &[OsString]) -> i32 {
    let force = args.iter().any(|a| a == "--force" || a == "-f");
    let dirs: Vec<&OsString> = args
        .iter()
        .filter(|a| !a.to_string_lossy().starts_with('-'))
        .collect();
    let [dir] = dirs.as_slice() else {
        eprintln!("unitbox: --install needs exactly one directory");
        return 1;
    };
    let dir = Path::new(dir);
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(err) => {
            eprintln!("unitbox: cannot find my own executable: {err}");
            return 1;
        }
    };
    if let Err(err) = std::fs::create_dir_all(dir) {
        eprintln!("unitbox: cannot create {}: {err}", dir.display());
        return 1;
    }
    // Installed next to the binary, the links are relative, so the directory (an image
    // layer, a tarball) can move.
    let same_dir = exe.parent().and_then(|p| p.canonicalize().ok()) == dir.canonicalize().ok();
    let target = match exe.file_name() {
        Some(name) if same_dir => PathBuf::from(name),
        _ => exe.clone(),
    };
    let mut status = 0;
    for (name, _) in APPLETS {
        let link = dir.join(name);
        if let Ok(meta) = std::fs::symlink_metadata(&link) {
            if !meta.file_type().is_symlink() && !force {
                eprintln!(
                    "unitbox: {} exists and is not a symlink (use --force to replace it)",
                    link.display()
                );
                status = 1;
                continue;
            }
            if let Err(err) = std::fs::remove_file(&link) {
                eprintln!("unitbox: cannot replace {}: {err}", link.display());
                status = 1;
                continue;
            }
        }
        match std::os::unix::fs::symlink(&target, &link) {
            Ok(()) => println!("{} -> {}", link.display(), target.display()),
            Err(err) => {
                eprintln!("unitbox: cannot create {}: {err}", link.display());
                status = 1;
            }
        }
    }
    status
}
