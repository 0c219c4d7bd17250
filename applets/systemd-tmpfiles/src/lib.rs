//! The `systemd-tmpfiles` applet: systemd-tmpfiles(8) of 252 over core's
//! [`unitbox_core::tmpfiles`]: options, `--cat-config`, and the run's exit code.

use std::ffi::OsString;
use unitbox_core::getopt::{opt, HasArg, Parser, Spec};
use unitbox_core::root::Root;
use unitbox_core::tmpfiles::{self, config, Options, OP_CLEAN, OP_CREATE, OP_REMOVE};

const OPTIONS: &[Spec] = &[
    opt("help", Some('h'), HasArg::No),
    opt("user", None, HasArg::No),
    opt("version", None, HasArg::No),
    opt("cat-config", None, HasArg::No),
    opt("create", None, HasArg::No),
    opt("clean", None, HasArg::No),
    opt("remove", None, HasArg::No),
    opt("boot", None, HasArg::No),
    opt("prefix", None, HasArg::Required),
    opt("exclude-prefix", None, HasArg::Required),
    opt("E", Some('E'), HasArg::No),
    opt("root", None, HasArg::Required),
    opt("image", None, HasArg::Required),
    opt("replace", None, HasArg::Required),
    opt("no-pager", None, HasArg::No),
];

fn help(prog: &str) {
    println!(
        "{prog} [OPTIONS...] [CONFIGURATION FILE...]

Creates, deletes and cleans up volatile and temporary files and directories.

  -h --help                 Show this help
     --user                 Execute user configuration
     --version              Show package version
     --cat-config           Show configuration files
     --create               Create marked files/directories
     --clean                Clean up marked directories
     --remove               Remove marked files/directories
     --boot                 Execute actions only safe at boot
     --prefix=PATH          Only apply rules with the specified prefix
     --exclude-prefix=PATH  Ignore rules with the specified prefix
  -E                        Ignore rules prefixed with /dev, /proc, /run, /sys
     --root=PATH            Operate on an alternate filesystem root
     --replace=PATH         Treat arguments as replacement for PATH
     --no-pager             Do not pipe output into a pager

See the systemd-tmpfiles(8) man page for details."
    );
}

/// An absolute `--root` (relative to the working directory otherwise).
fn absolute(path: &str) -> std::path::PathBuf {
    let p = std::path::Path::new(path);
    if p.is_absolute() {
        unitbox_core::root::normalize(p)
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| "/".into());
        unitbox_core::root::normalize(&cwd.join(p))
    }
}

/// Runs `systemd-tmpfiles` with full argv (argv[0] included) and returns the exit code.
pub fn main(args: Vec<OsString>) -> i32 {
    let prog = args
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "systemd-tmpfiles".into());
    let mut parser = Parser::new(&prog, OPTIONS, args.into_iter().skip(1).collect());
    let mut opts = Options::new(Root::host());
    let (mut cat, mut root) = (false, None);
    loop {
        let found = match parser.next_option() {
            Ok(Some(found)) => found,
            Ok(None) => break,
            Err(message) => {
                eprintln!("{message}");
                return 1;
            }
        };
        let value = found.value.unwrap_or_default();
        match found.name {
            "help" => {
                help(&prog);
                return 0;
            }
            "version" => {
                unitbox_core::version::print();
                return 0;
            }
            "user" => opts.user = true,
            "cat-config" => cat = true,
            "create" => opts.operations |= OP_CREATE,
            "clean" => opts.operations |= OP_CLEAN,
            "remove" => opts.operations |= OP_REMOVE,
            "boot" => opts.boot = true,
            "prefix" => opts.include_prefixes.push(value),
            "exclude-prefix" => opts.exclude_prefixes.push(value),
            "E" => opts
                .exclude_prefixes
                .extend(["/dev", "/proc", "/run", "/sys"].map(String::from)),
            "root" => root = Some(absolute(&value)),
            "image" => {
                eprintln!(
                    "This systemd-tmpfiles version is compiled without support for --image=."
                );
                return 1;
            }
            "replace" => {
                if !value.starts_with('/') {
                    eprintln!("The argument to --replace= must be an absolute path.");
                    return 1;
                }
                if !value.ends_with(".conf") {
                    eprintln!("The argument to --replace= must have the extension '.conf'.");
                    return 1;
                }
                opts.replace = Some(value);
            }
            _ => {}
        }
    }
    let files = parser.operand_strings();
    let checks = [
        (
            opts.operations == 0 && !cat,
            "You need to specify at least one of --clean, --create or --remove.",
        ),
        (
            opts.replace.is_some() && cat,
            "Option --replace= is not supported with --cat-config",
        ),
        (
            opts.replace.is_some() && files.is_empty(),
            "When --replace= is given, some configuration items must be specified",
        ),
        (
            root.is_some() && opts.user,
            "Combination of --user and --root= is not supported.",
        ),
    ];
    if let Some((_, message)) = checks.iter().find(|(bad, _)| *bad) {
        eprintln!("{message}");
        return 1;
    }
    if let Some(dir) = root.filter(|d| d != std::path::Path::new("/")) {
        opts.root = Root::new(dir);
    }
    if cat {
        print!("{}", config::cat_config(&opts));
        return 0;
    }
    tmpfiles::run(&opts, &files).exit_code()
}
