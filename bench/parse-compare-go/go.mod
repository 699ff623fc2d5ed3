module leakscan.dev/bench/parsecompare

go 1.23.0

require (
	github.com/DataDog/gostackparse v0.7.0
	github.com/maruel/panicparse/v2 v2.5.0
)
