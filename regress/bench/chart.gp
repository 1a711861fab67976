# chart.gp — make bench's chart of trust-lookup per system (run.sh calls it):
#   gnuplot -e "data='SUMMARY'; out='PNG'; heading='TITLE'" chart.gp
# SUMMARY has one line per system: "label" mean_rps min_rps max_rps p50_ms p90_ms p99_ms
# (means over the interleaved rounds). Left: throughput, the bar the mean and the whisker
# the range over rounds. Right: latency percentiles on a log scale, since the peers' p99
# can be a hundred times privacybee's.
set terminal pngcairo size 1200,520 font "DejaVu Sans,10"
set output out
set multiplot layout 1,2 title heading font ",12"

set style fill solid 0.6 border -1
set boxwidth 0.6
set grid ytics
set xtics nomirror
set key off

set title "throughput (req/s; whisker: range over rounds)"
set yrange [0:*]
plot data using 0:2:xtic(1) with boxes lc rgb "#4477aa", \
     '' using 0:2:3:4 with yerrorbars lc rgb "black" pt -1, \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,1 font ",9"

set title "latency (ms, log scale)"
set logscale y
set yrange [*:*]
set key top left
set style data histograms
set style histogram clustered gap 1
set boxwidth 0.9
plot data using 5:xtic(1) title "p50" lc rgb "#88ccee", \
     '' using 6 title "p90" lc rgb "#4477aa", \
     '' using 7 title "p99" lc rgb "#cc6677"

unset multiplot
