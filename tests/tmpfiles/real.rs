//! Real tmpfiles.d files of Debian 12 packages (systemd's own, dbus, man-db, polkitd,
//! postgresql-common, haproxy, php8.2-fpm, mariadb, memcached, squid: copied from the
//! packages, see fixtures/), applied to a root as at boot, compared with 252.

use super::{put, Twin};
use std::path::Path;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/tmpfiles/fixtures");

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
    man:x:6:12::/var/cache/man:/usr/sbin/nologin\n\
    www-data:x:33:33::/var/www:/usr/sbin/nologin\n\
    proxy:x:13:13::/bin:/usr/sbin/nologin\n\
    messagebus:x:100:106::/nonexistent:/usr/sbin/nologin\n\
    systemd-network:x:998:998::/:/usr/sbin/nologin\n\
    polkitd:x:997:997::/:/usr/sbin/nologin\n\
    postgres:x:105:111::/var/lib/postgresql:/bin/bash\n\
    mysql:x:106:112::/nonexistent:/bin/false\n\
    memcache:x:107:113::/nonexistent:/bin/false\n\
    haproxy:x:108:114::/var/lib/haproxy:/usr/sbin/nologin\n";

const GROUP: &str = "root:x:0:\nutmp:x:43:\nman:x:12:\nwww-data:x:33:\nproxy:x:13:\n\
    messagebus:x:106:\nsystemd-journal:x:999:\nsystemd-network:x:998:\npolkitd:x:997:\n\
    postgres:x:111:\nmysql:x:112:\nmemcache:x:113:\nhaproxy:x:114:\n";

fn install_fixtures(d: &Path, users: bool) {
    for entry in std::fs::read_dir(FIXTURES).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        put(d, &format!("usr/lib/tmpfiles.d/{name}"), &text);
    }
    put(d, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
    put(d, "etc/os-release", "ID=debian\nVERSION_ID=12\n");
    if users {
        put(d, "etc/passwd", PASSWD);
        put(d, "etc/group", GROUP);
    }
}

#[test]
fn debian_packages_at_boot() {
    let twin = Twin::new(|d| install_fixtures(d, true));
    let run = twin.compare(&["--create", "--remove", "--boot"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(twin.ours.path().join("run/php").is_dir());
    assert!(twin.ours.path().join("run/haproxy").is_dir());
    // A second boot over the result changes nothing and says nothing.
    let again = twin.compare(&["--create", "--remove", "--boot", "--clean"]);
    assert_eq!(again.stderr, "");
}

#[test]
fn debian_packages_without_their_users() {
    let twin = Twin::new(|d| install_fixtures(d, false));
    let run = twin.compare(&["--create", "--boot"]);
    assert_eq!(run.code, 65, "{run:?}");
}

#[test]
fn one_package_as_its_postinst_does() {
    let twin = Twin::new(|d| install_fixtures(d, true));
    twin.compare(&["--create", "php8.2-fpm.conf"]);
    twin.compare(&["--create", "haproxy.conf", "squid.conf"]);
}
