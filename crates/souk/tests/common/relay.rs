//! A `souk relay` as a real process on 127.0.0.1, and `souk` commands against it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use libp2p::Multiaddr;
use libp2p::multiaddr::Protocol;

/// A running relay; killed if a test fails before stopping it.
pub struct Relay {
    pub child: Child,
    pub addrs: Vec<Multiaddr>,
    pub http: String,
}

const LISTEN: [&str; 5] = [
    "/ip4/127.0.0.1/tcp/0",
    "/ip4/127.0.0.1/udp/0/quic-v1",
    "/ip4/127.0.0.1/tcp/0/ws",
    "/ip4/127.0.0.1/udp/0/webrtc-direct",
    "/ip4/127.0.0.1/udp/0/quic-v1/webtransport",
];

impl Relay {
    /// Starts a relay on `data` with `args` and waits (at most 60 s) for its `ready` line.
    pub fn start(data: &Path, bootstrap: Option<&Multiaddr>, args: &[&OsStr]) -> Relay {
        let mut command = Command::new(env!("CARGO_BIN_EXE_souk"));
        command.arg("relay").arg("--data").arg(data).args(["--http", "127.0.0.1:0"]).args(args);
        for addr in LISTEN {
            command.args(["--listen", addr]);
        }
        if let Some(addr) = bootstrap {
            command.args(["--bootstrap", &addr.to_string()]);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("souk runs");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (mut addrs, mut http) = (Vec::new(), String::new());
        loop {
            let line = rx.recv_timeout(Duration::from_secs(60)).expect("the relay says ready within 60 s");
            match line.as_str() {
                "ready" => break,
                l if l.starts_with("http://") => http = l.to_owned(),
                l => addrs.push(l.parse().unwrap_or_else(|e| panic!("{l:?} is not a multiaddr: {e}"))),
            }
        }
        Relay { child, addrs, http }
    }

    /// The address using `protocol` (tcp, ws, webrtc-direct, quic-v1, webtransport).
    pub fn addr(&self, protocol: &str) -> Multiaddr {
        self.addrs
            .iter()
            .find(|a| kind(a) == protocol)
            .cloned()
            .unwrap_or_else(|| panic!("no {protocol} address"))
    }

    pub fn get(&self, path: &str) -> String {
        let host = self.http.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 200"), "{path}: {response}");
        response.split_once("\r\n\r\n").unwrap().1.to_owned()
    }

    /// SIGTERM, then the exit status, which must be success.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the relay exited with {status}");
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the relay did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The outermost transport protocol of `addr`, as [`Relay::addr`] names it.
pub fn kind(addr: &Multiaddr) -> &'static str {
    addr.iter().fold("tcp", |kind, p| match p {
        Protocol::Ws(_) => "ws",
        Protocol::WebRTCDirect => "webrtc-direct",
        Protocol::QuicV1 => "quic-v1",
        Protocol::WebTransport => "webtransport",
        _ => kind,
    })
}

pub fn souk(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_souk")).env("SOUK_HOME", home).args(args).output().expect("souk runs")
}
