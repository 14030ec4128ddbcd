// `localhost` means IPv4 and IPv6 loopback alike: a listener binds each address that
// `host` names, all on one port (the first bind picks it when the port is 0).

export function bindAddresses(host: string): string[] {
  return host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
}
