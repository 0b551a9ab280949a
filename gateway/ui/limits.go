package ui

import "github.com/tsplug/ts-plug/gateway/quotas"

// limit is one spending limit on the dashboard: a bucket as the quota
// manager reports it (balance, capacity, rate, money held by requests in
// flight, when it is full again), with the models it is charged for.
type limit struct {
	quotas.BalanceView
	// Models are the IDs of the viewer's models whose requests the bucket
	// is charged for; nil when not known (an admin looking at someone
	// else's dashboard) or when it applies to none of them.
	Models []string
	// AllModels says it is charged for every model the viewer may use
	// (more than one), which reads better than listing them.
	AllModels bool
}

// limits pairs each bucket in views with the models whose own bucket
// lists (Model.Quotas, one bucket view per model) name it. models is nil
// when they are not known.
func limits(views []quotas.BalanceView, models []Model) []limit {
	by := map[string][]string{}
	for _, m := range models {
		for _, q := range m.Quotas {
			by[q.Bucket] = append(by[q.Bucket], m.ID)
		}
	}
	out := make([]limit, len(views))
	for i, v := range views {
		out[i] = limit{BalanceView: v, Models: by[v.Bucket]}
		if len(models) > 1 && len(out[i].Models) == len(models) {
			out[i].AllModels = true
		}
	}
	return out
}
