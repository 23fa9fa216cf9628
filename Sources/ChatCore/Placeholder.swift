// placeholder: the domain core arrives with issue 4
