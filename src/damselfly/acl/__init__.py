"""Access control: ACL users and rules, the per-command permission check, ACL LOG, the ACL file."""
