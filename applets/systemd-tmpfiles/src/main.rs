fn main() {
    std::process::exit(unitbox_systemd_tmpfiles::main(
        std::env::args_os().collect(),
    ));
}
