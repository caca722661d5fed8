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
// When the simulator must invent something ([INF]) it picks the behaviour that
// is hardest for a client to get right, so that a client passing against the
// simulator is tolerant of the real engine.
//
// The simulator never reveals an API key: users are named user-1, user-2, …
// in the order of Options.APIKeys, and only those names appear in responses,
// logs and the /_sim test routes.
package sim
