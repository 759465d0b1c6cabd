//! Checks of what the user types when creating a sandbox: names, env vars, port bindings, resources, lifetimes and
//! snapshot schedules. Every failure is an [`sbx_api::ApiError::InvalidInput`] naming the flag, the value and the
//! reason.
//!
//! The rules are pure and shared with the window: they live in [`sbx_api::rules`] and are re-exported here, so the
//! core, the CLI and the UI check the same way and say the same words. Here is only what needs this machine: whether
//! a host port is free. (Whether the engine has the CPUs asked for is `Core::check_cpus_fit`, beside the engine.)

use sbx_api::{PortBinding, Protocol};

pub use sbx_api::rules::*;

/// Whether nothing listens on the binding's host address and port (0 means "any free port": always free).
pub fn host_port_free(port: &PortBinding) -> bool {
    if port.host_port == 0 {
        return true;
    }
    let address = (port.host_ip.as_str(), port.host_port);
    match port.protocol {
        Protocol::Tcp => std::net::TcpListener::bind(address).is_ok(),
        Protocol::Udp => std::net::UdpSocket::bind(address).is_ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_someone_listens_on_is_not_free() {
        let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
            return;
        };
        let Ok(address) = listener.local_addr() else {
            return;
        };
        let binding = PortBinding {
            host_ip: "127.0.0.1".into(),
            host_port: address.port(),
            container_port: 80,
            protocol: Protocol::Tcp,
        };
        assert!(!host_port_free(&binding));
        drop(listener);
        assert!(host_port_free(&binding));
        assert!(host_port_free(&PortBinding {
            host_port: 0,
            ..binding
        }));
    }
}
