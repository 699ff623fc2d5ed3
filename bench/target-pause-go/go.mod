module leakscan.dev/bench/targetpause

go 1.21
