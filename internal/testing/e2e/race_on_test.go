//go:build race

package e2e

// raceEnabled: the tests run under -race, so the provider binary is built
// with it too (see tfharness.BuildOptions.Race).
const raceEnabled = true
