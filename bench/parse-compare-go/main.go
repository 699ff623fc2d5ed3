// Command parsecompare times the Go goroutine-dump parsers leakscan is
// compared with, on one dump file, the way bench/parse-compare asks:
// parse and group, report time and peak RSS as JSON on stdout.
//
//	parsecompare -parser gostackparse|panicparse FILE
//
// gostackparse (DataDog) parses only; panicparse (maruel) parses, then groups
// goroutines with the same stack into buckets (Snapshot.Aggregate).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/DataDog/gostackparse"
	"github.com/maruel/panicparse/v2/stack"
)

func main() {
	parser := flag.String("parser", "gostackparse", "gostackparse or panicparse")
	flag.Parse()
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	start := time.Now()
	goroutines, groups := 0, 0
	switch *parser {
	case "gostackparse":
		gs, errs := gostackparse.Parse(r)
		if len(errs) > 0 && len(gs) == 0 {
			fmt.Fprintln(os.Stderr, errs[0])
			os.Exit(1)
		}
		goroutines = len(gs)
	case "panicparse":
		snapshot, _, err := stack.ScanSnapshot(r, io.Discard, stack.DefaultOpts())
		if err != nil && err != io.EOF {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		goroutines = len(snapshot.Goroutines)
		groups = len(snapshot.Aggregate(stack.AnyValue).Buckets)
	default:
		fmt.Fprintln(os.Stderr, "unknown parser", *parser)
		os.Exit(2)
	}
	elapsed := time.Since(start)
	json.NewEncoder(os.Stdout).Encode(map[string]any{
		"ms":         float64(elapsed.Microseconds()) / 1000,
		"goroutines": goroutines,
		"groups":     groups,
		"peakRss":    peakRSS(),
	})
}

// peakRSS is VmHWM from /proc/self/status, in bytes.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			fields := strings.Fields(line)
			kb, _ := strconv.ParseInt(fields[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}
