//! Keeps webhook requests off internal networks: loopback, private,
//! link-local (cloud metadata lives at 169.254.169.254), carrier-grade NAT,
//! unique-local and other non-public addresses are refused. The check runs
//! on the addresses the name resolves to *at delivery time*, inside the HTTP
//! client's resolver, so a name that resolved to a public address when the
//! endpoint was saved and to 127.0.0.1 later (DNS rebinding) is still
//! refused. IPv6 addresses that embed an IPv4 address (IPv4-mapped,
//! -translated and -compatible, NAT64, 6to4, Teredo) are judged by the
//! IPv4 address inside. The delivery client ignores proxies from the
//! environment (`HTTP_PROXY`…): a proxy resolves the name itself, so the
//! check here would never see the address. `--webhook-allow-private-targets`
//! turns the check off (tests, local development).
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Why an address may not be called, or `None` when it is public.
pub fn forbidden_reason(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_reason(v4),
        IpAddr::V6(v6) => v6_reason(v6),
    }
}

fn v6_reason(v6: Ipv6Addr) -> Option<&'static str> {
    let seg = v6.segments();
    if v6.is_loopback() {
        return Some("loopback");
    }
    if v6.is_unspecified() {
        return Some("unspecified");
    }
    if seg[0..6] == [0; 6] {
        // IPv4-compatible (::a.b.c.d, deprecated): never a public address.
        return embedded_v4(v6).and_then(v4_reason).or(Some("IPv4-compatible"));
    }
    // Forms that carry an IPv4 address inside: the IPv4 address decides,
    // so `[::ffff:0:127.0.0.1]` is as loopback as 127.0.0.1.
    if let Some(v4) = embedded_v4(v6) {
        return v4_reason(v4);
    }
    if v6.is_multicast() {
        Some("multicast")
    } else if seg[0] & 0xfe00 == 0xfc00 {
        Some("private (unique local)")
    } else if seg[0] & 0xffc0 == 0xfe80 {
        Some("link-local")
    } else if seg[0] & 0xffc0 == 0xfec0 {
        Some("site-local")
    } else if seg[0] == 0x64 && seg[1] == 0xff9b && seg[2] == 1 {
        // 64:ff9b:1::/48, NAT64 for one network's own use (RFC 8215).
        Some("private (local-use NAT64)")
    } else if seg[0..4] == [0x100, 0, 0, 0] {
        Some("discard-only")
    } else if seg[0] == 0x2001 && seg[1] == 0x0db8 {
        Some("documentation")
    } else {
        None
    }
}

/// The IPv4 address an IPv6 address stands for, when it is one of the
/// forms that embed one: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-translated
/// (`::ffff:0:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64
/// (`64:ff9b::a.b.c.d`), 6to4 (`2002:aabb:ccdd::/48`), Teredo
/// (`2001:0::/32`, the client's address inverted in the last 32 bits).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let seg = v6.segments();
    let v4 = |hi: u16, lo: u16| Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo));
    match seg {
        [0, 0, 0, 0, 0, 0xffff, hi, lo] | [0, 0, 0, 0, 0xffff, 0, hi, lo] => Some(v4(hi, lo)),
        // `::` and `::1` are not IPv4 addresses; the caller names them.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 => Some(v4(hi, lo)),
        [0x64, 0xff9b, 0, 0, 0, 0, hi, lo] => Some(v4(hi, lo)),
        [0x2002, hi, lo, ..] => Some(v4(hi, lo)),
        [0x2001, 0, server_hi, server_lo, _, _, hi, lo] => {
            // Refused when either end is internal: the Teredo server or the client.
            let server = v4(server_hi, server_lo);
            let client = v4(!hi, !lo);
            if v4_reason(server).is_some() { Some(server) } else { Some(client) }
        }
        _ => None,
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
            "::127.0.0.1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:10.1.2.3",
            "::8.8.8.8",
            "2002:7f00:1::",
            "2002:a9fe:a9fe::1",
            "2002:c0a8:101::",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::808:808",
            "2001:0:4136:e378:8000:63bf:80ff:fffe",
            "2001:0:a00:1:8000:63bf:a247:27dd",
            "fec0::1",
            "100::1",
        ] {
            let ip: IpAddr = bad.parse().expect("ip");
            assert!(forbidden_reason(ip).is_some(), "{bad} must be refused");
        }
        for good in [
            "93.184.216.34",
            "1.1.1.1",
            "2606:4700:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
            "2001:0:4136:e378:8000:63bf:a247:27dd",
            "2001:4860:4860::8888",
        ] {
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
