//! Keeps webhook requests off internal networks: loopback, private,
//! link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT,
//! unique-local and other non-public addresses are refused. The check runs
//! on the addresses the name resolves to *at delivery time*, inside the HTTP
//! client's resolver, so a name that resolved to a public address when the
//! endpoint was saved and to 127.0.0.1 later (DNS rebinding) is still
//! refused. `--webhook-allow-private-targets` turns it off (tests, local
//! development).
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address may not be called, or `None` when it is public.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_reason(v4);
            }
            let seg = v6.segments();
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if v6.is_multicast() {
                Some("multicast")
            } else if seg[0] & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if seg[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if seg[0] == 0x64 && seg[1] == 0xff9b {
                // NAT64: the IPv4 address inside decides.
                let v4 = Ipv4Addr::new((seg[6] >> 8) as u8, seg[6] as u8, (seg[7] >> 8) as u8, seg[7] as u8);
                v4_reason(v4)
            } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
                Some("documentation")
            } else {
                None
            }
        }
    }
}

fn v4_reason(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    if ip.is_loopback() {
        Some("loopback")
    } else if ip.is_private() {
        Some("private")
    } else if ip.is_link_local() {
        Some("link-local (cloud metadata)")
    } else if ip.is_unspecified() || o[0] == 0 {
        Some("unspecified")
    } else if o[0] == 100 && (o[1] & 0xc0) == 64 {
        Some("carrier-grade NAT")
    } else if ip.is_broadcast() || ip.is_multicast() || o[0] >= 240 {
        Some("broadcast, multicast or reserved")
    } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
        Some("IETF protocol assignments")
    } else if (o[0] == 192 && o[1] == 0 && o[2] == 2)
        || (o[0] == 198 && o[1] == 51 && o[2] == 100)
        || (o[0] == 203 && o[1] == 0 && o[2] == 113)
        || (o[0] == 198 && (o[1] & 0xfe) == 18)
    {
        Some("documentation or benchmarking")
    } else {
        None
    }
}

/// The HTTP client's resolver when private targets are not allowed: it
/// resolves as usual, then drops every forbidden address; a name left with
/// none fails the request with the reason.
#[derive(Debug, Clone, Default)]
pub struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.iter().copied().filter(|a| forbidden_reason(a.ip()).is_none()).collect();
            if public.is_empty() {
                let reason = all.first().and_then(|a| forbidden_reason(a.ip())).unwrap_or("no address");
                return Err(format!("{host} resolves to a {reason} address, which webhooks may not call").into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// For URLs whose host is an IP address (no resolver involved).
pub fn literal_host_reason(url: &url::Url) -> Option<&'static str> {
    match url.host()? {
        url::Host::Ipv4(v4) => forbidden_reason(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => forbidden_reason(IpAddr::V6(v6)),
        url::Host::Domain(d) => {
            // A trailing dot names the same host: `localhost.` is localhost.
            let d = d.strip_suffix('.').unwrap_or(d).to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")).then_some("loopback")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_addresses_are_refused_and_public_ones_pass() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = bad.parse().expect("ip");
            assert!(forbidden_reason(ip).is_some(), "{bad} must be refused");
        }
        for good in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111", "64:ff9b::5db8:d822"] {
            let ip: IpAddr = good.parse().expect("ip");
            assert_eq!(forbidden_reason(ip), None, "{good} is public");
        }
    }

    #[test]
    fn literal_hosts_are_checked_without_dns() {
        let url = |u: &str| url::Url::parse(u).expect("url");
        assert_eq!(literal_host_reason(&url("http://127.0.0.1:8080/x")), Some("loopback"));
        assert_eq!(literal_host_reason(&url("http://[::1]/")), Some("loopback"));
        assert_eq!(literal_host_reason(&url("http://localhost/")), Some("loopback"));
        assert_eq!(literal_host_reason(&url("http://localhost.:8080/")), Some("loopback"));
        assert_eq!(literal_host_reason(&url("http://Hooks.LOCALHOST./")), Some("loopback"));
        assert_eq!(
            literal_host_reason(&url("http://169.254.169.254/latest/meta-data")),
            Some("link-local (cloud metadata)")
        );
        assert_eq!(literal_host_reason(&url("https://hooks.example.com/x")), None);
    }

    #[tokio::test]
    async fn the_resolver_refuses_names_that_resolve_inside() {
        let name: Name = "localhost".parse().expect("name");
        let err = PublicOnlyResolver.resolve(name).await.err().expect("refused");
        assert!(err.to_string().contains("loopback"), "{err}");
    }
}
