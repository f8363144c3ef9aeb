# objects of the ledger layer, one a line
