// Package sim is a local, in-memory TensorPool engine: the REST and WebSocket
// API of https://engine.tensorpool.dev as far as it is known, with a job
// lifecycle driven by a clock.Clock and switchable faults, so that the
// provider can be tested end to end with no cloud and no waiting.
//
// Fidelity tags in comments follow /work/shared/tensorpool-api.md:
//
//	[DOC] published documentation (the OpenAPI seed for cancel is exact),
//	[CLI] what the official Python CLI does or expects,
//	[INF] inferred or chosen by the simulator where the docs are silent.
//
// The users' copy of these assumptions, route by route, is the guide
// templates/guides/engine-assumptions.md.tmpl (docs/guides/ once generated);
// the simulator follows it, and TestAssumptionsNameEveryRouteTheSimulatorServes
// fails when it serves a route the guide does not name.
//
// When the simulator must invent something ([INF]) it picks the behaviour that
// is hardest for a client to get right, so that a client passing against the
// simulator is tolerant of the real engine.
//
// What a test can observe besides the API: Engine.Jobs (each job's schedule,
// terminal_at, and the upload listing of its push, which honours the
// config's ignore patterns as rsync --exclude would), Engine.Stats and
// Engine.RequestsFor (request counts per route and per job, counted on
// arrival), and the invariant checks CheckDestroyed, CheckDestroyedBy and
// CheckNoOrphans. Faults (rate limit, failures, latency, garbled answers, a
// dropped push, a refused or hanging /job/listen handshake) switch at run
// time with Engine.SetFaults.
//
// Clusters, storage volumes (and their attachments), saved SSH keys and the
// async requests behind them (requests.go, clusters.go, storage.go,
// sshkeys.go) follow the wire contract of issue 10: every mutation is a
// request whose schedule (PENDING → PROCESSING → COMPLETED, or RETRYING
// under Faults.CapacityShortage) is fixed on acceptance from the options
// (RequestPendingLatency, ClusterProvisionLatency, ClusterReleaseLatency,
// ClusterEditLatency, StorageLatency) and applied lazily on the engine clock
// (settleLocked) before every request and inspection. Clusters and volumes
// bill from their create's PROCESSING until their release completes
// (billing.go). Tests see them through Engine.Clusters, Storage,
// Attachments, SSHKeys, Requests and BillingReport (and the matching
// /_sim/ routes), create and drift them with AddCluster, AddStorage,
// AddSSHKey, Attach, Detach, ReleaseCluster, DestroyStorage, EditCluster,
// EditStorage, SetClusterStatus, SetStorageStatus and Remove*, and check
// the provider's promises with CheckNothingBilling, CheckNoSSHKeys and
// CheckNoOrphanedObjects. Every id a path names counts in RequestsFor.
//
// Object storage and its buckets, and the SSH command of an instance
// (objectstorage.go), follow the official CLI's calls; tests see them
// through Engine.ObjectStorage and ObjectStorageSecret and change them with
// EnableObjectStorage, AddBucket, SetBucketObjects and RemoveBucket.
//
// The simulator models the documented engine on its own: it shares no code
// with the provider or its client, and emits only fields the docs or the
// official CLI name.
//
// The simulator never reveals an API key: users are named user-1, user-2, …
// in the order of Options.APIKeys, and only those names appear in responses,
// logs and the /_sim test routes.
package sim
