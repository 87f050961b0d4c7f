module offerfit

go 1.19
