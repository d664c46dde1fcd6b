module github.com/gqljwt/gqljwt/bench

go 1.25.0

replace github.com/gqljwt/gqljwt => ../
