# interop.ops.export-keys: Wireshark key export, checked by tshark decrypting a live capture.
cygnet_ops_test(export-keys export_keys.sh TIMEOUT 120)
