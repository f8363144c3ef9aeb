# objects of the erase layer, one a line
