# interop.ops.vip_client: Cygnet as the remote-access client (vips = 0.0.0.0, ::; everything through
# the tunnel) against strongSwan and then Cygnet as the gateway: virtual IPs on the TUN device,
# routes from them, DNS handed to a stand-in systemd-resolved on a private bus, all undone on down.
cygnet_ops_test(vip_client vip_client.sh TIMEOUT 240)
