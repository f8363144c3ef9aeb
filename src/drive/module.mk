# objects of the drive layer, one a line
