//! Who the client is, for per-IP limits: the peer address, or — when the peer is one of the
//! `trusted_proxies` — the last address in `X-Forwarded-For` that no trusted proxy added. IPv6
//! clients count per /64, the network one household or phone usually gets.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::web;
use ipnet::{IpNet, Ipv6Net};

/// The proxies (load balancers) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    fn trust(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: `forwarded_for` (every `X-Forwarded-For` value, in order) is read from
    /// the right while each hop is a trusted proxy; a peer that is not trusted is the client itself.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trust(client) {
            return client;
        }
        let hops = forwarded_for.iter().rev().flat_map(|value| value.rsplit(','));
        for hop in hops {
            match hop.trim().parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip.to_canonical();
                    if !self.trust(client) {
                        break;
                    }
                }
                // A hop that is no address was not written by a proxy of ours: stop believing here.
                Err(_) => break,
            }
        }
        client
    }
}

/// The key of per-IP limits for this request: the client's IPv4 address or its IPv6 /64.
pub fn client_ip(req: &HttpRequest) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return String::new();
    };
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    let client = match req.app_data::<web::Data<TrustedProxies>>() {
        Some(proxies) => proxies.client(peer, &forwarded),
        None => peer.to_canonical(),
    };
    limit_key(client)
}

fn limit_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => Ipv6Net::new(v6, 64).map_or_else(|_| v6.to_string(), |net| net.trunc().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn proxies(nets: &[&str]) -> TrustedProxies {
        TrustedProxies::new(nets.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = proxies(&[]);
        assert_eq!(none.client(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
        let lb = proxies(&["10.0.0.0/8"]);
        assert_eq!(lb.client(ip("203.0.113.9"), &["198.51.100.1"]), ip("203.0.113.9"));
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let lb = proxies(&["10.0.0.0/8", "fd00::/8"]);
        // A forged first entry from the client itself is not believed.
        let chain = ["1.2.3.4, 198.51.100.7", "10.1.1.1"];
        assert_eq!(lb.client(ip("10.0.0.2"), &chain), ip("198.51.100.7"));
        assert_eq!(lb.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(lb.client(ip("10.0.0.2"), &["not-an-ip, 10.2.2.2"]), ip("10.2.2.2"));
        assert_eq!(lb.client(ip("fd00::1"), &["2001:db8::5"]), ip("2001:db8::5"));
        assert_eq!(lb.client(ip("::ffff:10.0.0.2"), &["198.51.100.7"]), ip("198.51.100.7"));
    }

    #[test]
    fn ipv6_clients_count_per_slash_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff::9")), "2001:db8:1:2::/64");
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
        assert_eq!(limit_key(ip("192.0.2.1")), "192.0.2.1");
    }
}
