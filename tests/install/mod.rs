//! The install side of systemctl against systemd 252: every case runs on two copies of a
//! tree, once with unitbox and once with `/usr/bin/systemctl --root=`, and compares exit
//! codes, stdout, the resulting trees and (where we match systemd word for word) stderr.

mod changes;
mod config;
mod presets;
mod scopes;
mod states;

use crate::support::*;

/// Exit code, stdout, tree and stderr all equal to systemd's.
pub fn same(tree: &Tree, args: &[&str]) -> Run {
    same_in_locale(tree, args, "C.UTF-8")
}

pub fn same_in_locale(tree: &Tree, args: &[&str], lc_all: &str) -> Run {
    let (ours, theirs) = differential_in_locale(tree, args, lc_all);
    assert_eq!(
        ours.stderr, theirs.stderr,
        "systemctl {args:?}: stderr differs (left: unitbox, right: systemd)"
    );
    ours
}

/// Like [`same`], but stderr compared as a set of lines: for verbs whose message order
/// follows `readdir` order (preset-all), which copies of a tree need not share.
pub fn same_lines(tree: &Tree, args: &[&str]) -> Run {
    let (ours, theirs) = differential_in_locale(tree, args, "C.UTF-8");
    let sorted = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        sorted(&ours.stderr),
        sorted(&theirs.stderr),
        "systemctl {args:?}: stderr lines differ (left: unitbox, right: systemd)"
    );
    ours
}

pub const SERVICE: &str = "[Service]\nExecStart=/bin/true\n";

/// A unit with `[Install]` lines appended to a minimal service.
pub fn unit(install: &str) -> String {
    if install.is_empty() {
        SERVICE.to_string()
    } else {
        format!("{SERVICE}[Install]\n{install}\n")
    }
}

pub const VENDOR: &str = "/usr/lib/systemd/system";

/// The tree most tests start from: units with every kind of `[Install]`.
pub fn fixture() -> Tree {
    let t = Tree::new();
    t.write(
        &format!("{VENDOR}/foo.service"),
        &unit("WantedBy=multi-user.target\nAlias=bar.service\nAlso=baz.service"),
    );
    t.write(
        &format!("{VENDOR}/baz.service"),
        &unit("RequiredBy=foo.service"),
    );
    t.write(&format!("{VENDOR}/static.service"), &unit(""));
    t.write(&format!("{VENDOR}/ind.service"), &unit("Also=foo.service"));
    t.write(
        &format!("{VENDOR}/t@.service"),
        &unit("WantedBy=multi-user.target\nDefaultInstance=def"),
    );
    t.write(
        &format!("{VENDOR}/multi-user.target"),
        "[Unit]\nDescription=MU\n",
    );
    t.write("/opt/l.service", &unit("WantedBy=a.target"));
    t
}
