//! Synthetic lines: every type, the modifiers, modes, owners, errors, --remove, --clean,
//! prefixes, configuration lookup and --cat-config, each compared with 252.

use super::{put, with_conf, Twin};
use std::path::Path;
use std::time::{Duration, SystemTime};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n";
const GROUP: &str = "root:x:0:\nalice:x:1000:\nstaff:x:50:alice\n";

#[test]
fn every_create_type() {
    let twin = Twin::new(|d| {
        put(d, "etc/passwd", PASSWD);
        put(d, "etc/group", GROUP);
        put(d, "usr/share/factory/etc/fact/a", "A\n");
        put(d, "usr/share/factory/etc/fact/sub/b", "B\n");
        put(d, "src/tree/x", "x");
        put(d, "run/w/existing", "old content");
        put(d, "run/e/keep", "");
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "# comment\n\
             d /run/d 0750 alice staff -\n\
             D /run/D 1777 - - -\n\
             v /var/v 0700\nq /var/q\nQ /var/Q 0711\n\
             f /run/d/f 0600 alice - - hello\\nworld\n\
             f /run/f-empty\n\
             F /run/F - - - - trunc\n\
             w /run/w/existing - - - - new\n\
             w /run/w/missing - - - - never\n\
             w /run/w/exist* 0640 - - - glob\n\
             e /run/e 0700 alice\n\
             e /run/e-missing\n\
             p /run/fifo 0620\n\
             L /run/link - - - - /some/target\n\
             L /etc/fact\n\
             C /etc/fact\n\
             C /run/copy - - - - /src/tree\n\
             c /run/null 0666 - - - 1:3\n\
             z /run/d 0755 root root\n\
             m /run/e 0701\n\
             Z /run/D 0755 alice alice\n\
             x /run/x\nX /run/X\nr /run/r\nR /run/R\n\
             d /run/deep/a/b/c 0700\n\
             d \"/run/with space\"\n\
             d /run/esc\\x41pe\n\
             d /var/run/legacy\n",
        );
    });
    let run = twin.compare(&["--create"]);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn modifiers_plus_minus_equals_bang() {
    let setup = |d: &Path| {
        put(d, "run/f", "long old content");
        put(d, "run/w", "base");
        put(d, "run/dir-in-the-way/x", "");
        put(d, "run/file-in-the-way", "");
        put(d, "run/p", "");
        std::fs::create_dir_all(d.join("run/linkdir/sub")).unwrap();
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "f+ /run/f - - - - new\n\
             w+ /run/w - - - - +more\n\
             L+ /run/linkdir - - - - /elsewhere\n\
             L /run/f - - - - /not-replaced\n\
             p+ /run/p\n\
             d= /run/file-in-the-way/sub\n\
             f= /run/dir-in-the-way\n\
             f!  /run/boot-only\n\
             d-! /run/boot-only-dir\n\
             f- /nonexistent-root-dir/x/y\n\
             f /proc/self/not-allowed\n",
        );
    };
    Twin::new(setup).compare(&["--create"]);
    Twin::new(setup).compare(&["--create", "--boot"]);
}

#[test]
fn modes_owners_and_masks() {
    let twin = Twin::new(|d| {
        put(d, "etc/passwd", PASSWD);
        put(d, "etc/group", GROUP);
        put(d, "run/exec", "");
        std::fs::set_permissions(
            d.join("run/exec"),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .unwrap();
        put(d, "run/plain", "");
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "z /run/exec ~0755\nz /run/plain ~4777\n\
             d /run/numeric 2755 1234 4321\n\
             d /run/by-name - alice alice\n\
             f /run/root-file 0400 root root\n",
        );
    });
    twin.compare(&["--create"]);
}

#[test]
fn bad_lines_exit_65_with_252_messages() {
    let twin = with_conf(
        "y /bad-type\n\
         d\n\
         d relative\n\
         d /run/u 0755 nosuchuser\n\
         d /run/g 0755 - nosuchgroup\n\
         d /run/m 0999\n\
         d /run/a - - - 1x\n\
         d /run/ab - - - q:1d\n\
         dd /run/mod\n\
         d!! /run/twice\n\
         w /run/w\n\
         c /run/c\n\
         c /run/c2 - - - - 1\n\
         C /run/C - - - - relative\n\
         h /run/h\n\
         h /run/h2 - - - - +Z\n\
         d \"/run/open\n\
         d /run/%Y\n\
         d /run/dup 0700\n\
         d /run/dup 0755\n\
         d /run/ok\n\
         d /run/lines-arg - - - - arg\n",
    );
    let run = twin.compare(&["--create"]);
    assert_eq!(run.code, 65);
}

#[test]
fn failed_actions_exit_73() {
    let twin = Twin::new(|d| {
        put(d, "run/file", "");
        put(d, "run/dir/x", "");
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "f /run/dir\nf /run/file/below\nd /run/file\np /run/file\nr /run/dir\n",
        );
    });
    let run = twin.compare(&["--create", "--remove"]);
    assert_eq!(run.code, 73);
}

#[test]
fn remove_r_r_and_d() {
    let setup = |d: &Path| {
        for f in [
            "run/D/a",
            "run/D/sub/b",
            "run/r-file",
            "run/R/deep/er",
            "run/glob-1",
            "run/glob-2",
        ] {
            put(d, f, "x");
        }
        std::fs::create_dir_all(d.join("run/r-empty-dir")).unwrap();
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "D /run/D\nr /run/r-file\nr /run/r-empty-dir\nR /run/R\nr /run/glob-*\nr /run/missing\n",
        );
    };
    Twin::new(setup).compare(&["--remove"]);
    Twin::new(setup).compare(&["--create", "--remove"]);
}

fn age(d: &Path, rel: &str, days: u64) {
    let t = SystemTime::now() - Duration::from_secs(days * 86400);
    let p = d.join(rel);
    let f = std::fs::File::open(&p).unwrap();
    f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
        .unwrap();
}

#[test]
fn clean_by_age() {
    let setup = |d: &Path| {
        for f in [
            "var/tmp/old",
            "var/tmp/new",
            "var/tmp/olddir/old",
            "var/tmp/keep/old",
            "var/tmp/x-excluded",
            "var/tmp/first/second/old",
            "var/cache/c/old",
            "var/cache/c/sub/old",
            "var/lib/byatime/old",
        ] {
            put(d, f, "x");
        }
        for f in [
            "var/tmp/old",
            "var/tmp/olddir/old",
            "var/tmp/keep/old",
            "var/tmp/x-excluded",
            "var/tmp/first/second/old",
            "var/cache/c/old",
            "var/cache/c/sub/old",
            "var/lib/byatime/old",
        ] {
            age(d, f, 30);
        }
        for dir in ["var/tmp/olddir", "var/cache/c/sub", "var/tmp/first/second"] {
            age(d, dir, 30);
        }
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "d /var/tmp 1777 root root 10d\n\
             x /var/tmp/x-*\n\
             X /var/tmp/keep\n\
             d /var/cache/c - - - ~1d\n\
             e /var/lib/byatime - - - m:1d\n",
        );
    };
    Twin::new(setup).compare(&["--clean"]);
}

#[test]
fn prefixes_and_exclusions() {
    let conf = "d /run/a\nd /run/ab\nd /var/lib/x\nd /srv/y\nd /dev/z\n";
    with_conf(conf).compare(&["--create", "--prefix=/run/a"]);
    with_conf(conf).compare(&["--create", "--prefix=/var", "--prefix=/srv"]);
    with_conf(conf).compare(&["--create", "--exclude-prefix=/run"]);
    with_conf(conf).compare(&["--create", "-E"]);
}

fn dropins(d: &Path) {
    put(d, "usr/lib/tmpfiles.d/a.conf", "d /run/usr-a\n");
    put(d, "etc/tmpfiles.d/a.conf", "d /run/etc-a\n");
    put(d, "run/tmpfiles.d/b.conf", "d /run/run-b\n");
    put(d, "usr/lib/tmpfiles.d/b.conf", "d /run/usr-b\n");
    put(d, "usr/local/lib/tmpfiles.d/c.conf", "d /run/local-c\n");
    put(d, "lib/tmpfiles.d/d.conf", "d /run/lib-d\n# tail");
    put(d, "usr/lib/tmpfiles.d/e.conf.bak", "d /run/backup\n");
    put(d, "usr/lib/tmpfiles.d/f.notconf", "d /run/notconf\n");
    std::os::unix::fs::symlink("/dev/null", d.join("etc/tmpfiles.d/masked.conf")).unwrap();
    put(d, "usr/lib/tmpfiles.d/masked.conf", "d /run/masked\n");
}

#[test]
fn dropin_precedence_and_cat_config() {
    Twin::new(dropins).compare(&["--create"]);
    let run = Twin::new(dropins).compare(&["--cat-config"]);
    assert!(
        run.stdout.contains("# ROOT/etc/tmpfiles.d/a.conf"),
        "{run:?}"
    );
}

#[test]
fn files_on_the_command_line() {
    Twin::new(dropins).compare(&["--create", "b.conf"]);
    Twin::new(dropins).compare(&["--create", "missing.conf", "b.conf"]);
    Twin::new(dropins).compare_with_stdin(&["--create", "-"], Some("d /run/from-stdin\n"));
    Twin::new(dropins).compare_with_stdin(
        &["--create", "--replace=/etc/tmpfiles.d/b.conf", "-"],
        Some("d /run/replacing-b\n"),
    );
}

#[test]
fn usage_errors() {
    for args in [
        vec![],
        vec!["--bogus"],
        vec!["--create", "--prefix"],
        vec!["--create", "--user"],
        vec!["--cat-config", "--replace=/etc/tmpfiles.d/x.conf"],
        vec!["--create", "--replace=relative.conf", "x"],
        vec!["--create", "--replace=/etc/tmpfiles.d/x.conf"],
    ] {
        let twin = with_conf("d /run/x\n");
        let run = twin.compare(&args);
        assert_eq!(run.code, 1, "{args:?}");
    }
}

#[test]
fn specifiers() {
    let twin = Twin::new(|d| {
        put(d, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
        put(d, "etc/os-release", "ID=testos\nVERSION_ID=7\n");
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "d /run/m-%m\nd /run/o-%o-%w-%W-%B\nd /run/%%percent\nf /run/arg - - - - %m:%t:%S:%C:%L\n\
             d /run/h-%H-%l-%a-%v\nd /run/u-%u-%U-%g-%G-%h\nd /run/t%T\nd /run/v%V\nd /run/b-%b\n",
        );
    });
    twin.compare(&["--create"]);
    // A fresh root without machine ID or os-release: those lines are skipped quietly.
    with_conf("d /run/m-%m\nd /run/o-%o\nd /run/kept\n").compare(&["--create"]);
}

#[test]
fn xattrs_and_attributes() {
    let twin = Twin::new(|d| {
        put(d, "run/x", "");
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "t /run/x - - - - user.one=1 user.two=\"two words\"\n\
             T /run/x - - - - user.rec=yes\n\
             h /run/x - - - - +d\n\
             H /run/x - - - - -d\n\
             t /run/missing - - - - user.x=1\n",
        );
    });
    twin.compare(&["--create"]);
    let value = unitbox_core::sys::lgetxattr(&twin.ours.path().join("run/x"), "user.two").unwrap();
    assert_eq!(value.as_deref(), Some(&b"two words"[..]));
}

#[test]
fn base64_credentials_and_only_create_fields() {
    let creds = tempfile::tempdir().unwrap();
    std::fs::write(creds.path().join("my.cred"), "cred-data").unwrap();
    std::fs::write(creds.path().join("b64"), "aGk=").unwrap();
    let setup = |d: &Path| {
        put(d, "run/existing", "");
        std::fs::create_dir_all(d.join("run/existing-dir")).unwrap();
        put(
            d,
            "etc/tmpfiles.d/test.conf",
            "f~ /run/b - - - - aGVsbG8K\n\
             f~ /run/bad - - - - !!!\n\
             f^ /run/cred - - - - my.cred\n\
             f^~ /run/cred64 - - - - b64\n\
             f^ /run/unset - - - - not.passed\n\
             f^ /run/badname - - - - bad/name\n\
             f^ /run/noname\n\
             d~ /run/dir - - - - aGk=\n\
             f /run/existing :0600 :1000 :1000\n\
             d /run/existing-dir :0700 - :5\n\
             f /run/new :0600 :1000 :1000\n",
        );
    };
    Twin::new(setup).compare(&["--create"]);
    std::env::set_var("CREDENTIALS_DIRECTORY", creds.path());
    let run = Twin::new(setup).compare(&["--create"]);
    std::env::remove_var("CREDENTIALS_DIRECTORY");
    assert_eq!(run.code, 0, "{run:?}");
}
