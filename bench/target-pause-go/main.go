// Command targetpause is the service bench/target-pause measures: a Go
// program holding -n parked goroutines in a mix of code sites, a healthy
// request load whose goroutines come and go, one planted leak that grows
// steadily, and an in-process lateness probe.
//
// The probe is a goroutine that asks to wake every millisecond and records
// how late each wake-up is. A stop-the-world pause (a debug=2 dump, a GC
// cycle) delays it by the length of the pause, so its worst lateness over an
// interval is the worst pause the service felt in that interval.
//
//	GET /probe        {"worstMs": ..., "wakeups": ...} since the last reset
//	GET /probe/reset  starts a new interval
//	GET /goroutines   runtime.NumGoroutine()
//
// The first stdout line is "pprof http://127.0.0.1:PORT" once every parked
// goroutine is in place. Only 127.0.0.1 is bound.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ---- the crowd: parked goroutines that never change ----

type hub struct {
	gate   chan struct{}
	events chan int
	mu     sync.Mutex
	cond   *sync.Cond
	ready  sync.WaitGroup
}

//go:noinline
func (h *hub) awaitShutdown() {
	h.ready.Done()
	<-h.gate
}

//go:noinline
func (h *hub) subscribe() {
	h.ready.Done()
	select {
	case <-h.events:
	case <-h.gate:
	}
}

//go:noinline
func (h *hub) waitWork() {
	h.mu.Lock()
	h.ready.Done()
	for {
		h.cond.Wait()
	}
}

//go:noinline
func (h *hub) backoff() {
	h.ready.Done()
	time.Sleep(100 * 365 * 24 * time.Hour)
}

//go:noinline
func (h *hub) middleware(depth int, leaf func()) {
	if depth == 0 {
		leaf()
		return
	}
	h.middleware(depth-1, leaf)
}

func (h *hub) park(n int) {
	leaves := []func(){h.awaitShutdown, h.subscribe, h.waitWork, h.backoff}
	h.ready.Add(n)
	for i := 0; i < n; i++ {
		leaf := leaves[i%len(leaves)]
		depth := i % 7
		go h.middleware(depth, leaf)
	}
	h.ready.Wait()
}

// ---- healthy load: request goroutines that finish ----

//go:noinline
func handleRequest(done chan<- struct{}) {
	time.Sleep(time.Duration(1+time.Now().UnixNano()%20) * time.Millisecond)
	done <- struct{}{}
}

func load(rate float64) {
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	for range tick.C {
		done := make(chan struct{}, 1)
		go handleRequest(done)
	}
}

// ---- the planted leak: a reply nobody sends ----

type orderClient struct{}

//go:noinline
func (c *orderClient) awaitReply(reply chan string) string {
	return <-reply
}

func leak(rate float64) {
	c := &orderClient{}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	for range tick.C {
		reply := make(chan string)
		go c.awaitReply(reply)
	}
}

// ---- the lateness probe ----

var (
	worstNs atomic.Int64
	wakeups atomic.Int64
)

func probe() {
	runtime.LockOSThread() // its own thread: lateness is the runtime's, not a busy P's
	const period = time.Millisecond
	next := time.Now().Add(period)
	for {
		time.Sleep(time.Until(next))
		now := time.Now()
		late := now.Sub(next).Nanoseconds()
		for {
			old := worstNs.Load()
			if late <= old || worstNs.CompareAndSwap(old, late) {
				break
			}
		}
		wakeups.Add(1)
		next = now.Add(period)
	}
}

func main() {
	n := flag.Int("n", 100000, "parked goroutines")
	leakRate := flag.Float64("leak", 20, "leaked goroutines per second")
	loadRate := flag.Float64("load", 200, "short requests per second")
	flag.Parse()

	h := &hub{gate: make(chan struct{}), events: make(chan int)}
	h.cond = sync.NewCond(&h.mu)
	h.park(*n)

	go probe()
	go load(*loadRate)
	go leak(*leakRate)

	http.HandleFunc("/probe", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"worstMs": float64(worstNs.Load()) / 1e6, "wakeups": wakeups.Load()})
	})
	http.HandleFunc("/probe/reset", func(w http.ResponseWriter, r *http.Request) {
		worstNs.Store(0)
		wakeups.Store(0)
		w.WriteHeader(http.StatusNoContent)
	})
	http.HandleFunc("/goroutines", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, runtime.NumGoroutine())
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("pprof http://%s\n", ln.Addr())
	go http.Serve(ln, nil)
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
