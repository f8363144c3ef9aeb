# objects of the flow layer, one a line
