//! The client's address behind reverse proxies: `--trusted-proxies` names
//! the load balancers whose `X-Forwarded-For` we believe. Rate limits,
//! sign-in throttling and audit entries all read the result through
//! [`super::ClientMeta`].
//!
//! Only a trusted peer's header counts, and only its right-hand part: each
//! proxy appends the address it saw, so everything left of the last
//! untrusted hop was written by the client and may be forged.
use std::net::IpAddr;

use ipnet::IpNet;

/// Addresses and networks (`10.0.0.0/8`, `192.0.2.7`, `::1`) of the proxies
/// in front of this server. Empty (the default) trusts no header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// A comma-separated list of IPs and CIDRs; an empty text is no proxies.
    pub fn parse(raw: &str) -> anyhow::Result<TrustedProxies> {
        let mut nets = Vec::new();
        for item in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| anyhow::anyhow!("{item:?} is not an IP address or a network such as 10.0.0.0/8"))?,
            };
            nets.push(net);
        }
        Ok(TrustedProxies(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the socket peer unless it is a trusted proxy;
    /// then the rightmost `X-Forwarded-For` address that is not a trusted
    /// proxy (or the leftmost, when all are). `forwarded_for` holds the
    /// header's values in order; a malformed entry ends the walk at the
    /// hop that handed it to us.
    pub fn client_ip<'a>(&self, peer: IpAddr, forwarded_for: impl IntoIterator<Item = &'a str>) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops: Vec<&str> = forwarded_for.into_iter().flat_map(|v| v.split(',')).collect();
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.trim().parse::<IpAddr>() else { break };
            client = ip.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_list_takes_addresses_and_networks() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.0.2.7 ,::1,2001:db8::/32").expect("parses");
        assert!(proxies.contains(ip("10.1.2.3")));
        assert!(proxies.contains(ip("192.0.2.7")));
        assert!(!proxies.contains(ip("192.0.2.8")));
        assert!(proxies.contains(ip("::1")));
        assert!(proxies.contains(ip("2001:db8::5")));
        assert!(proxies.contains(ip("::ffff:10.0.0.1")), "IPv4-mapped peers count as IPv4");
        assert_eq!(TrustedProxies::parse("").expect("empty"), TrustedProxies::default());
        for bad in ["10.0.0.0/33", "proxy.internal", "10.0.0", "1.2.3.4:80"] {
            assert!(TrustedProxies::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let none = TrustedProxies::default();
        assert_eq!(none.client_ip(ip("198.51.100.4"), ["203.0.113.9"]), ip("198.51.100.4"));
        let proxies = TrustedProxies::parse("10.0.0.0/8").expect("parses");
        assert_eq!(proxies.client_ip(ip("198.51.100.4"), ["203.0.113.9"]), ip("198.51.100.4"));
    }

    #[test]
    fn a_trusted_peer_yields_the_rightmost_untrusted_hop() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").expect("parses");
        // The client forged the first entry; the proxies appended the rest.
        let header = ["1.1.1.1, 203.0.113.9", "10.0.0.2"];
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), header), ip("203.0.113.9"));
        // No header: the proxy itself.
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), []), ip("10.0.0.1"));
        // Every hop trusted: the leftmost.
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), ["10.0.0.3, 10.0.0.2"]), ip("10.0.0.3"));
        // Garbage stops the walk at the hop that passed it on.
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), ["203.0.113.9, junk, 10.0.0.2"]), ip("10.0.0.2"));
        assert_eq!(proxies.client_ip(ip("10.0.0.1"), [" 2001:db8::9 "]), ip("2001:db8::9"));
    }
}
