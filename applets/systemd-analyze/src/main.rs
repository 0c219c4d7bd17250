fn main() {
    std::process::exit(unitbox_systemd_analyze::main(std::env::args_os().collect()));
}
