//! systemd's architecture names (`x86-64`, `arm64`, …): `ConditionArchitecture=` and the
//! `%a` specifier.

/// systemd's architecture name for a uname machine field.
pub fn architecture_from_uname(machine: &str) -> Option<&'static str> {
    let little = cfg!(target_endian = "little");
    Some(match machine {
        "x86_64" => "x86-64",
        "i386" | "i486" | "i586" | "i686" => "x86",
        "aarch64" => "arm64",
        "aarch64_be" => "arm64-be",
        "ppc64le" => "ppc64-le",
        "ppc64" => "ppc64",
        "ppcle" => "ppc-le",
        "ppc" => "ppc",
        "s390x" => "s390x",
        "s390" => "s390",
        "sparc64" => "sparc64",
        "sparc" => "sparc",
        "mips64" if little => "mips64-le",
        "mips64" => "mips64",
        "mips" if little => "mips-le",
        "mips" => "mips",
        "alpha" => "alpha",
        "ia64" => "ia64",
        "parisc64" => "parisc64",
        "parisc" => "parisc",
        "sh5" => "sh64",
        "m68k" => "m68k",
        "tilegx" => "tilegx",
        "crisv32" | "cris" => "cris",
        "nios2" => "nios2",
        "riscv64" => "riscv64",
        "riscv32" => "riscv32",
        "arc" => "arc",
        "arceb" => "arc-be",
        "loongarch64" => "loongarch64",
        m if m.starts_with("armv") || m == "arm" => {
            if m.ends_with('b') {
                "arm-be"
            } else {
                "arm"
            }
        }
        m if m.starts_with("sh") => "sh",
        _ => return None,
    })
}

/// Every architecture name systemd knows (anything else can never match).
pub const ARCHITECTURES: &[&str] = &[
    "x86",
    "x86-64",
    "ppc",
    "ppc-le",
    "ppc64",
    "ppc64-le",
    "ia64",
    "parisc",
    "parisc64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "mips",
    "mips-le",
    "mips64",
    "mips64-le",
    "alpha",
    "arm",
    "arm-be",
    "arm64",
    "arm64-be",
    "sh",
    "sh64",
    "m68k",
    "tilegx",
    "cris",
    "nios2",
    "riscv32",
    "riscv64",
    "arc",
    "arc-be",
    "loongarch64",
];

/// The architecture this binary was built for (`native`).
pub fn native_architecture() -> Option<&'static str> {
    let machine = match std::env::consts::ARCH {
        "x86_64" => "x86_64",
        "x86" => "i686",
        "aarch64" if cfg!(target_endian = "big") => "aarch64_be",
        "aarch64" => "aarch64",
        "arm" if cfg!(target_endian = "big") => "armv7b",
        "arm" => "armv7l",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "powerpc" => "ppc",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "loongarch64" => "loongarch64",
        "mips64" => "mips64",
        "mips" => "mips",
        "sparc64" => "sparc64",
        other => other,
    };
    architecture_from_uname(machine)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname_machines_map_to_systemd_architecture_names() {
        assert_eq!(architecture_from_uname("x86_64"), Some("x86-64"));
        assert_eq!(architecture_from_uname("i686"), Some("x86"));
        assert_eq!(architecture_from_uname("aarch64"), Some("arm64"));
        assert_eq!(architecture_from_uname("armv7l"), Some("arm"));
        assert_eq!(architecture_from_uname("armv5tejb"), Some("arm-be"));
        assert_eq!(architecture_from_uname("ppc64le"), Some("ppc64-le"));
        assert_eq!(architecture_from_uname("pdp11"), None);
        let native = native_architecture().unwrap_or("none");
        assert!(ARCHITECTURES.contains(&native), "{native}");
    }
}
