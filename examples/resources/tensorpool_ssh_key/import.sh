# Import a saved key by the id that `tp me sshkey list` shows. The first plan
# after the import is empty when public_key and name match the saved key.
terraform import tensorpool_ssh_key.me key-0123456789ab
