"""The vendor's fleet, cloud side: zero-touch provisioning and certificates, the broker policy
(ACL + CRL), the device twin, remote commands and their audit trail."""
