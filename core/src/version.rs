//! The one `--version` text of every applet, as systemd's `version()` prints it: the
//! first line keeps systemd's `systemd NNN (…)` shape, so scripts that parse the version of
//! "systemd" get 252, the version whose semantics unitbox follows.

/// `systemd 252 (unitbox X.Y.Z)`.
pub const VERSION_LINE: &str = concat!("systemd 252 (unitbox ", env!("CARGO_PKG_VERSION"), ")");

/// systemd's compile-time feature list, all off: unitbox links none of those libraries.
pub const FEATURES: &str = "-PAM -AUDIT -SELINUX -APPARMOR -IMA -SMACK -SECCOMP -GCRYPT \
-GNUTLS -OPENSSL -ACL -BLKID -CURL -ELFUTILS -FIDO2 -IDN2 -IDN -IPTC -KMOD -LIBCRYPTSETUP \
-LIBFDISK -PCRE2 -PWQUALITY -P11KIT -QRENCODE -TPM2 -BZIP2 -LZ4 -XZ -ZLIB -ZSTD \
-BPF_FRAMEWORK -XKBCOMMON -UTMP -SYSVINIT";

/// Prints the version line and the feature line (`--version`).
pub fn print() {
    println!("{VERSION_LINE}");
    println!("{FEATURES} default-hierarchy=unified");
}
