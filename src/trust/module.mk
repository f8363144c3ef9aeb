# objects of the trust layer, one a line
