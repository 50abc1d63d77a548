"""Training a network: the training settings and the loop (:mod:`.trainer`), the GAN trainers, the
events the loop publishes (the only way it talks to a page), what a page shows of a training in
progress (:mod:`.monitor`), the loss history, the queue for the server's training slots and the
devices a training may use."""
