fn main() {
    std::process::exit(unitbox_systemd_notify::main(std::env::args_os().collect()));
}
