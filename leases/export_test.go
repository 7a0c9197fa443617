package leases

// PauseRenewals stops (true) or resumes (false) the Table's renewals and
// heartbeats: a holder that is alive but can no longer renew, as when its
// process is paused or partitioned.
func (t *Table) PauseRenewals(p bool) { t.paused.Store(p) }
